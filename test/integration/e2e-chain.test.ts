import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverGithubEvent, pushPayload, randomHex } from "../../cli/github-push.js";
import { runCli } from "../../cli/main.js";
import { buildExampleObjects, EXAMPLE_OBJECTS } from "../../examples/fraud-detector/seed-data.js";
import type { LocalStack } from "../../local/stack.js";
import { endpointName, vertexParent } from "../../shared/config.js";
import type { LedgerEntry } from "../../shared/ledger.js";
import { Label } from "../../shared/model-ports.js";
import type { Runtime } from "../../shared/runtime.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexTrainingLauncher } from "../../shared/vertex/jobs-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { fraudDetectorTrainingPush, startE2eStack } from "../support/e2e-stack.js";
import { singleCanaryConfig } from "../support/example-config.js";
import { conformanceHost } from "../support/pubsub-under-test.js";
import { stackVertexLocation } from "../support/stack-vertex.js";
import { waitForLedger } from "../support/wait-for-ledger.js";

// The whole chain on the local stack (or, in the conformance run, with gcloud's Pub/Sub emulator): every function in its own Functions Framework process, wired by push
// subscriptions and bucket notifications as in the cloud, driven by signed GitHub deliveries. fraud-detector on
// the single canary: the rollout in steps has its own tests (e2e-rollout-steps.test.ts, demo.test.ts).
const model = "fraud-detector";
const { path: configPath, config } = singleCanaryConfig();
const endpoint = endpointName(config, model);
const objects = buildExampleObjects();
const normalData = objects.find((o) => o.name === EXAMPLE_OBJECTS.train)?.contents ?? "";
const shiftedData = objects.find((o) => o.name === EXAMPLE_OBJECTS.trainShifted)?.contents ?? "";

describe("the whole chain on the local stack", () => {
  let stack: LocalStack;
  let runtime: Runtime;
  let endpoints: VertexEndpointDeployer;
  let jobs: VertexTrainingLauncher;
  let registry: VertexModelRegistry;
  const good: string[] = [];

  beforeAll(async () => {
    ({ stack, runtime } = await startE2eStack({
      config,
      configPath: configPath,
      webhookSecret: "e2e-secret-e2e-secret-e2e-secret-e2e",
      // `npm run test:conformance`: the chain on gcloud's Pub/Sub emulator instead of ours.
      ...(conformanceHost ? { pubsubEmulatorHost: conformanceHost } : {}),
    }));
    const location = stackVertexLocation(stack, config);
    endpoints = new VertexEndpointDeployer(location);
    jobs = new VertexTrainingLauncher(location);
    registry = new VertexModelRegistry(location);
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled([endpoints?.close(), jobs?.close(), registry?.close()]);
    await stack?.close();
  });

  const github = (event: string, payload: unknown, deliveryId?: string) =>
    deliverGithubEvent(
      stack.functions.githubWebhook.url,
      "e2e-secret-e2e-secret-e2e-secret-e2e",
      event,
      payload,
      deliveryId,
    );

  async function push(commit: string, data: string, deliveryId?: string) {
    await runtime.blobs.write(EXAMPLE_OBJECTS.train, data, { contentType: "application/x-ndjson" });
    const payload = fraudDetectorTrainingPush(commit);
    return github("push", payload, deliveryId);
  }

  /** Polls the commit's ledger until `count` records with one of `actions` exist. */
  const waitFor = (commit: string, actions: string[], count = 1): Promise<LedgerEntry[]> =>
    waitForLedger(runtime.ledger, { model, commit }, actions, { count });

  // Each chain trains, registers, deploys, verifies and rolls out for real: give it time on a loaded machine.
  it("rolls a signed push out at 100% with a passing report and a complete lineage", {
    timeout: 90_000,
  }, async () => {
    const commit = randomHex(40);
    good.push(commit);
    const reply = await push(commit, normalData);
    expect(reply.status).toBe(202);
    const entries = await waitFor(commit, ["rollout-completed"]);

    const state = await endpoints.getEndpoint(endpoint);
    expect(Object.values(state.trafficSplit)).toEqual([100]);
    expect(state.deployedModels).toHaveLength(1);

    const report = JSON.parse(
      (await runtime.blobs.read(`reports/${model}/${commit}/report.json`))?.data.toString() ?? "{}",
    );
    expect(report.verdict).toBe("pass");
    expect((await runtime.blobs.read(`reports/${model}/${commit}/report.html`))?.data.toString()).toContain(
      "<svg",
    );

    const steps = new Set(entries.map((e) => e.step));
    for (const step of [
      "githubWebhook",
      "launchTraining",
      "artifactUploaded",
      "registerModel",
      "deployModel",
      "verifyDeployment",
      "rolloutModel",
    ]) {
      expect(steps).toContain(step);
    }
    expect(entries.every((e) => e.identity?.startsWith(`mg-`))).toBe(true);
  });

  it("rolls a model trained on shifted data back, restoring the previous split exactly", async () => {
    const before = await endpoints.getEndpoint(endpoint);
    const commit = randomHex(40);
    expect((await push(commit, shiftedData)).status).toBe(202);
    const entries = await waitFor(commit, ["rollback-completed"]);
    const verdict = entries.find((e) => e.action === "verification-completed")?.details?.verdict;
    expect(verdict).toBe("fail");

    const after = await endpoints.getEndpoint(endpoint);
    expect(after.trafficSplit).toEqual(before.trafficSplit);
    expect(after.deployedModels.map((d) => d.id)).toEqual(before.deployedModels.map((d) => d.id));
    const [version] = await registry.findVersions(`${vertexParent(config)}/models/${model}`, {
      [Label.commit]: commit,
    });
    expect(version?.labels[Label.verdict]).toBe("failed");
  });

  // Every Pub/Sub message twice is our server's fault; on gcloud's emulator (the conformance run) only the webhook
  // is delivered twice.
  it("reaches the same end state with every webhook and every Pub/Sub message delivered twice", async () => {
    const pubsub = stack.servers.pubsub;
    if (pubsub) pubsub.faults.duplicate = 2;
    try {
      const commit = randomHex(40);
      good.push(commit);
      const deliveryId = crypto.randomUUID();
      const [first, second] = await Promise.all([
        push(commit, normalData, deliveryId),
        push(commit, normalData, deliveryId),
      ]);
      expect([first.status, second.status].sort()).toContain(202);
      const entries = await waitFor(commit, ["rollout-completed"]);
      await pubsub?.idle();

      // Names and actions, not the client objects: a failure then says what was made twice.
      const jobNames = (await jobs.findJobs({ [Label.commit]: commit })).map((j) => j.name);
      expect(jobNames).toHaveLength(1);
      const versions = await registry.findVersions(`${vertexParent(config)}/models/${model}`, {
        [Label.commit]: commit,
      });
      expect(versions.map((v) => v.versionId)).toHaveLength(1);
      const settled = await runtime.ledger.read(model, commit);
      const actions = (action: string) => settled.filter((e) => e.action === action).map((e) => e.step);
      expect(actions("model-deployed")).toEqual(["deployModel"]);
      expect(actions("rollout-completed")).toEqual(["rolloutModel"]);
      expect(entries.filter((e) => e.step === "githubWebhook").map((e) => e.action)).toHaveLength(1);
      const state = await endpoints.getEndpoint(endpoint);
      expect(Object.values(state.trafficSplit)).toEqual([100]);
    } finally {
      if (pubsub) pubsub.faults.duplicate = 1;
    }
  });

  it("deploys and verifies an older registered commit when a promotion tag points at it", async () => {
    const older = good[0] as string;
    const payload = pushPayload({
      repository: "acme/fraud-detector",
      ref: "refs/tags/promote/fraud-detector/v1",
      commit: older,
    });
    const reply = await github("push", payload);
    expect(reply.status).toBe(202);
    await waitFor(older, ["rollout-completed"], 2);
    const state = await endpoints.getEndpoint(endpoint);
    expect(state.deployedModels).toHaveLength(1);
    expect(state.deployedModels[0]?.versionId).toBe(
      (await registry.findVersions(`${vertexParent(config)}/models/${model}`, { [Label.commit]: older }))[0]
        ?.versionId,
    );
    expect(Object.values(state.trafficSplit)).toEqual([100]);
  }, 90_000);

  it("shows through the CLI what the endpoint serves and the commit's lineage", async () => {
    const env = { ...stack.env, MODELGATE_CONFIG: configPath };
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env };
    expect(await runCli(["status", model, "--json"], io)).toBe(0);
    const [status] = JSON.parse(out.join("")) as Array<{
      serving: Array<{ commit: string; percent: number; verdict: string }>;
    }>;
    expect(status?.serving).toEqual([
      expect.objectContaining({ commit: good[0], percent: 100, verdict: "pass" }),
    ]);

    out.length = 0;
    expect(await runCli(["lineage", model, "--commit", good[0] as string], io)).toBe(0);
    const text = out.join("");
    for (const action of [
      "custom-job-created",
      "model-version-uploaded",
      "model-deployed",
      "verification-completed",
      "rollout-completed",
    ]) {
      expect(text).toContain(action);
    }
  });
});
