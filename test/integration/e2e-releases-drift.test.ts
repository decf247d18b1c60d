import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverGithubEvent, randomHex } from "../../cli/github-push.js";
import { runCli } from "../../cli/main.js";
import { buildExampleObjects, EXAMPLE_OBJECTS } from "../../examples/fraud-detector/seed-data.js";
import type { LocalStack } from "../../local/stack.js";
import { endpointName, vertexParent } from "../../shared/config.js";
import type { LedgerEntry } from "../../shared/ledger.js";
import { ReconcileAction, ReleasesAction } from "../../shared/ledger-actions.js";
import { Label } from "../../shared/model-ports.js";
import { writeAppliedRelease } from "../../shared/releases/applied-release.js";
import type { Runtime } from "../../shared/runtime.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { fraudDetectorTrainingPush, startE2eStack } from "../support/e2e-stack.js";
import { eventually } from "../support/eventually.js";
import { exampleConfigCopy } from "../support/example-config.js";
import { fluxHeaders } from "../support/ingress-flux.js";
import { send } from "../support/ingress-http.js";
import { stackVertexLocation } from "../support/stack-vertex.js";

// Drift on the local stack: a release serving on the endpoint, undeployed by hand, found by the reconcile and
// restored through the chain (deploy → verify → rollout); and a Flux event asking for a releases file.
const model = "fraud-detector";
const secret = "e2e-secret-e2e-secret-e2e-secret-e2e";
const fluxSecret = "e2e-flux-key-e2e-flux-key-e2e-flux-key";
const { path: configPath, config } = exampleConfigCopy((doc) => {
  doc.models[model].releases = { drift: "repair" };
});
const endpoint = endpointName(config, model);
const normalData = buildExampleObjects().find((o) => o.name === EXAMPLE_OBJECTS.train)?.contents ?? "";

describe("releases on the local stack: drift repaired, Flux events", () => {
  let stack: LocalStack;
  let runtime: Runtime;
  let endpoints: VertexEndpointDeployer;
  let registry: VertexModelRegistry;
  const released = randomHex(40);
  const declaredBy = randomHex(40);
  let byHandVersionId = "";

  beforeAll(async () => {
    ({ stack, runtime } = await startE2eStack({
      config,
      configPath,
      webhookSecret: secret,
      fluxSecret,
    }));
    const location = stackVertexLocation(stack, config);
    endpoints = new VertexEndpointDeployer(location);
    registry = new VertexModelRegistry(location);
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled([endpoints?.close(), registry?.close()]);
    await stack?.close();
  });

  async function waitFor(commit: string, action: string, count: number): Promise<LedgerEntry[]> {
    return eventually(
      `${count} × ${action} for ${commit}`,
      async () => {
        const seen = await runtime.ledger.read(model, commit);
        const failure = seen.find((e) => e.action === "step-failed" || e.action === "dead-lettered");
        if (failure) throw new Error(`the chain for ${commit} failed: ${JSON.stringify(failure.error)}`);
        return seen.filter((e) => e.action === action).length >= count ? seen : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
  }

  async function cli(args: string[]): Promise<{ code: number; text: string }> {
    const out: string[] = [];
    const io = {
      out: (t: string) => out.push(t),
      err: (t: string) => out.push(t),
      env: { ...stack.env, MODELGATE_CONFIG: configPath },
    };
    const code = await runCli(args, io);
    return { code, text: out.join("") };
  }

  it("finds a release serving in sync", { timeout: 120_000 }, async () => {
    await runtime.blobs.write(EXAMPLE_OBJECTS.train, normalData, { contentType: "application/x-ndjson" });
    const payload = fraudDetectorTrainingPush(released);
    expect(
      (await deliverGithubEvent(stack.functions.githubWebhook.url, secret, "push", payload)).status,
    ).toBe(202);
    await waitFor(released, "rollout-completed", 1);
    const [version] = await registry.findVersions(`${vertexParent(config)}/models/${model}`, {
      [Label.commit]: released,
    });
    // What applyReleases and rolloutModel leave once a declared release serves.
    await writeAppliedRelease(
      runtime.blobs,
      {
        schemaVersion: 1,
        model,
        release: { commit: released },
        declaredBy: {
          repository: "acme/fraud-detector",
          commit: declaredBy,
          path: "modelgate.releases.yaml",
          trigger: "github-push",
          at: new Date().toISOString(),
        },
        state: "serving",
        ...(version ? { versionId: version.versionId } : {}),
        updatedAt: new Date().toISOString(),
      },
      "0",
    );
    const { code, text } = await cli(["reconcile"]);
    expect(text).toContain(`${model}: in sync (${released})`);
    expect(code).toBe(0);
  });

  it("finds the release undeployed by hand, reports it on a dry run, and repairs it through the chain", {
    timeout: 180_000,
  }, async () => {
    const parent = `${vertexParent(config)}/models/${model}`;
    const [serving] = await registry.findVersions(parent, { [Label.commit]: released });
    if (!serving) throw new Error("no version of the released commit");
    // Someone uploads a version in the console, sends it all the traffic and undeploys the release.
    const { version: byHand } = await registry.uploadVersion({
      displayName: "console upload",
      parentModel: parent,
      artifactUri: serving.artifactUri,
      servingContainer: { imageUri: config.models[model]?.serving.container ?? "" },
      labels: {},
      aliases: [],
    });
    byHandVersionId = byHand.versionId;
    const releasedId = deployedModelId(model, released);
    await endpoints.deploy(endpoint, {
      deployedModelId: "1234567890",
      modelResource: parent,
      versionId: byHand.versionId,
      displayName: "by hand",
      machineType: "n1-standard-2",
      minReplicas: 1,
      maxReplicas: 1,
      trafficSplit: { "1234567890": 100, [releasedId]: 0 },
    });
    await endpoints.undeploy(endpoint, releasedId, { "1234567890": 100 });

    const planned = await cli(["reconcile", "--dry-run"]);
    expect(planned.code).toBe(1);
    expect(planned.text).toContain(`version ${serving.versionId} is not deployed on the endpoint`);
    expect(planned.text).toContain("changed outside modelgate");
    expect(planned.text).toContain("reported only (dry-run)");

    const repaired = await cli(["reconcile"]);
    expect(repaired.code).toBe(1);
    expect(repaired.text).toContain("repair requested");
    await waitFor(released, "rollout-completed", 2);
    const state = await endpoints.getEndpoint(endpoint);
    expect(state.deployedModels.map((d) => d.id)).toEqual([releasedId]);
    expect(state.trafficSplit).toEqual({ [releasedId]: 100 });
    expect((await registry.getVersion(parent, "production")).versionId).toBe(serving.versionId);
    const records = (await runtime.ledger.read(model, released)).filter(
      (e) => e.step === "reconcileEndpoints",
    );
    expect(records.filter((e) => e.action === ReconcileAction.repairRequested)).toHaveLength(1);

    const after = await cli(["reconcile"]);
    expect(after.text).toContain(`${model}: in sync (${released})`);
    expect(after.code).toBe(0);
  });

  /** Deploys the console-uploaded version as `id` outside modelgate, with `split`. */
  async function deployByHand(id: string, split: Record<string, number>): Promise<void> {
    await endpoints.deploy(endpoint, {
      deployedModelId: id,
      modelResource: `${vertexParent(config)}/models/${model}`,
      versionId: byHandVersionId,
      displayName: "by hand",
      machineType: "n1-standard-2",
      minReplicas: 1,
      maxReplicas: 1,
      trafficSplit: split,
    });
  }

  /** Runs `modelgate reconcile` on drift made by hand, and waits for the chain's repair (the n-th rollout). */
  async function repairedBy(rollouts: number): Promise<void> {
    const planned = await cli(["reconcile", "--dry-run"]);
    expect(planned.code).toBe(1);
    expect(planned.text).toContain("reported only (dry-run)");
    const repaired = await cli(["reconcile"]);
    expect(repaired.code).toBe(1);
    expect(repaired.text).toContain("repair requested");
    await waitFor(released, "rollout-completed", rollouts);
    // `releases status` says the drift is open until a reconcile finds the endpoint in sync again.
    const open = await cli(["releases", "status", model]);
    expect(open.text).toContain("! drift open since");
    expect(open.code).toBe(1);
    const after = await cli(["reconcile"]);
    expect(after.text).toContain(`${model}: in sync (${released})`);
    expect(after.code).toBe(0);
    const closed = await cli(["releases", "status", model, "--json"]);
    expect(JSON.parse(closed.text)).toMatchObject([{ lastReconcile: { result: "in-sync" }, drift: null }]);
  }

  it("repairs a traffic split changed by hand back to the declared split, through verify and rollout", {
    timeout: 180_000,
  }, async () => {
    const releasedId = deployedModelId(model, released);
    await deployByHand("1234567891", { [releasedId]: 70, "1234567891": 30 });
    await repairedBy(3);
    const state = await endpoints.getEndpoint(endpoint);
    expect(state.deployedModels.map((d) => d.id)).toEqual([releasedId]);
    expect(state.trafficSplit).toEqual({ [releasedId]: 100 });
    const planned = (await runtime.ledger.read(model, released)).filter((e) => e.action === "repair-planned");
    expect(planned).toHaveLength(1);
  });

  it("repairs a production alias moved by hand", { timeout: 180_000 }, async () => {
    const parent = `${vertexParent(config)}/models/${model}`;
    const [serving] = await registry.findVersions(parent, { [Label.commit]: released });
    await registry.mergeAliases(parent, byHandVersionId, ["production"], []);
    expect((await registry.getVersion(parent, "production")).versionId).toBe(byHandVersionId);
    await repairedBy(4);
    expect((await registry.getVersion(parent, "production")).versionId).toBe(serving?.versionId);
    const releasedId = deployedModelId(model, released);
    expect((await endpoints.getEndpoint(endpoint)).trafficSplit).toEqual({ [releasedId]: 100 });
  });

  it("repairs a release left deployed without traffic: deployModel routes it its canary share first", {
    timeout: 180_000,
  }, async () => {
    const releasedId = deployedModelId(model, released);
    await deployByHand("1234567892", { [releasedId]: 0, "1234567892": 100 });
    // deployModel's own identity moves the traffic (aiplatform.endpoints.update, enforced by the local stack).
    await repairedBy(5);
    const state = await endpoints.getEndpoint(endpoint);
    expect(state.deployedModels.map((d) => d.id)).toEqual([releasedId]);
    expect(state.trafficSplit).toEqual({ [releasedId]: 100 });
  });

  it("applies the releases file of the commit a Flux Kustomization reconciled; a replay and a forgery are refused", async () => {
    // The commit the cluster reconciled declares the release that serves, in the repository's releases file.
    const reconciled = stack.servers.github.state.addCommit("acme/fraud-detector", {
      files: { "modelgate.releases.yaml": `releases:\n  ${model}:\n    commit: "${released}"\n` },
      author: { login: "octocat" },
      branch: "main",
    });
    const event = {
      involvedObject: {
        kind: "Kustomization",
        namespace: "flux-system",
        name: "fraud-detector-serving",
        apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      },
      severity: "info",
      timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      message: "Reconciliation finished in 1.2s, next run in 10m0s",
      reason: "ReconciliationSucceeded",
      metadata: { revision: `main@sha1:${reconciled}` },
      reportingController: "kustomize-controller",
    };
    const body = JSON.stringify(event);
    const url = stack.functions.fluxEvents.url;
    expect(await send(url, { headers: fluxHeaders(body, fluxSecret), body })).toMatchObject({ status: 202 });
    const received = await eventually(
      "applyReleases to receive the request",
      async () => {
        const seen = await runtime.ledger.read("_unattributed", reconciled);
        return seen.find((e) => e.action === ReleasesAction.releasesRequestReceived);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // applyReleases read the file at that commit from GitHub, as the App.
    expect(received).toMatchObject({ step: "applyReleases", details: { trigger: "flux", entries: [model] } });
    expect(await send(url, { headers: fluxHeaders(body, fluxSecret), body })).toMatchObject({
      status: 200,
      body: { status: "duplicate" },
    });
    const stale = JSON.stringify({
      ...event,
      timestamp: "2024-01-01T00:00:00Z",
      metadata: { revision: `main@sha1:${randomHex(40)}` },
    });
    expect(await send(url, { headers: fluxHeaders(stale, fluxSecret), body: stale })).toMatchObject({
      status: 422,
    });
    expect(
      await send(url, { headers: fluxHeaders(body, "forged-forged-forged-forged-forged-00"), body }),
    ).toMatchObject({ status: 401 });
  });
});
