import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverGithubEvent, pushPayload, randomHex } from "../../cli/github-push.js";
import { buildExampleObjects, EXAMPLE_OBJECTS } from "../../examples/fraud-detector/seed-data.js";
import type { LocalStack } from "../../local/stack.js";
import { endpointName, loadConfig, vertexParent } from "../../shared/config.js";
import { type LedgerEntry, unattributed } from "../../shared/ledger.js";
import { ReleasesAction } from "../../shared/ledger-actions.js";
import { readAppliedRelease } from "../../shared/releases/applied-release.js";
import type { Runtime } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { Topic } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { startE2eStack } from "../support/e2e-stack.js";
import { eventually } from "../support/eventually.js";
import { releasesRequest } from "../support/step-messages.js";

// Releases declared in the repository's releases file, applied on the local stack: GitHub's side is the local
// stand-in (the functions read the file and write statuses through octokit as the App), the chain is the real one.
const model = "fraud-detector";
const repository = "acme/fraud-detector";
const secret = "e2e-secret-e2e-secret-e2e-secret-e2e";
const objects = buildExampleObjects();
const normalData = objects.find((o) => o.name === EXAMPLE_OBJECTS.train)?.contents ?? "";
const shiftedData = objects.find((o) => o.name === EXAMPLE_OBJECTS.trainShifted)?.contents ?? "";

describe("releases declared in Git, on the local stack", () => {
  let stack: LocalStack;
  let runtime: Runtime;
  let endpoints: VertexEndpointDeployer;
  const config = (() => {
    // Registered versions wait for a release instead of deploying themselves.
    const dir = mkdtempSync(join(tmpdir(), "modelgate-releases-"));
    const path = join(dir, "modelgate.config.yaml");
    writeFileSync(
      path,
      readFileSync("modelgate.config.yaml", "utf8").replace("autoDeploy: true", "autoDeploy: false"),
    );
    return { path, parsed: loadConfig({ MODELGATE_CONFIG: path }) };
  })();
  const [good, better, shifted] = [randomHex(40), randomHex(40), randomHex(40)];

  beforeAll(async () => {
    ({ stack, runtime } = await startE2eStack({
      config: config.parsed,
      configPath: config.path,
      webhookSecret: secret,
    }));
    endpoints = new VertexEndpointDeployer({
      endpoint: loadSettings(stack.env).vertexEndpoint,
      region: config.parsed.region,
      parent: vertexParent(config.parsed),
    });
    // Three registered versions: two trained on normal data, one on shifted data (it fails verification).
    for (const [commit, data] of [
      [good, normalData],
      [better, normalData],
      [shifted, shiftedData],
    ] as const) {
      await runtime.blobs.write(EXAMPLE_OBJECTS.train, data, { contentType: "application/x-ndjson" });
      const payload = pushPayload({
        repository,
        ref: "refs/heads/main",
        commit,
        modified: ["models/fraud-detector/train.py"],
      });
      expect((await deliver(payload)).status).toBe(202);
      await waitFor(model, commit, ["registration-published"]);
    }
  }, 240_000);

  afterAll(async () => {
    await endpoints?.close();
    await stack?.close();
  });

  const deliver = (payload: unknown, deliveryId?: string) =>
    deliverGithubEvent(stack.functions.githubWebhook.url, secret, "push", payload, deliveryId);

  /** Commits a releases file to main (merged through a reviewed pull request) and delivers its push. */
  async function declare(releasesYaml: string, deliveryId?: string) {
    const github = stack.servers.github.state;
    const commit = github.addCommit(repository, {
      files: { "modelgate.releases.yaml": releasesYaml },
      author: { login: "octocat" },
      branch: "main",
    });
    github.addMergedPull(repository, {
      author: "octocat",
      mergedBy: "hubot",
      mergeCommitSha: commit,
      reviews: [{ user: "monalisa", state: "APPROVED", submittedAt: new Date().toISOString() }],
    });
    const payload = pushPayload({
      repository,
      ref: "refs/heads/main",
      commit,
      modified: ["modelgate.releases.yaml"],
    });
    expect((await deliver(payload, deliveryId)).status).toBe(202);
    return { commit };
  }

  async function waitFor(ledgerModel: string, commit: string, actions: string[]): Promise<LedgerEntry[]> {
    let seen: LedgerEntry[] = [];
    return eventually(
      `${ledgerModel}@${commit} to reach ${actions}`,
      async () => {
        seen = await runtime.ledger.read(ledgerModel, commit);
        const failure = seen.find((e) => e.action === "step-failed" || e.action === "dead-lettered");
        if (failure) throw new Error(`${commit} failed: ${JSON.stringify(failure.error)}`);
        return seen.some((e) => actions.includes(e.action)) ? seen : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, detail: () => `ledger ${seen.map((e) => e.action)}` },
    );
  }

  const statusesOf = (commit: string) =>
    stack.servers.github.state.statuses.filter((s) => s.sha === commit).map((s) => [s.context, s.state]);

  async function settledStatus(commit: string, context: string) {
    return eventually(
      `a final ${context} status on ${commit}`,
      async () => {
        const last = stack.servers.github.state.statuses
          .filter((s) => s.sha === commit && s.context === context)
          .at(-1);
        return last && last.state !== "pending" ? last : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  it("applies a release from a push: the endpoint serves the declared commit, state serving, status success", {
    timeout: 120_000,
  }, async () => {
    const { commit: declaredBy } = await declare(`releases:\n  ${model}:\n    commit: ${good}\n`);
    await waitFor(model, good, ["rollout-completed"]);
    const state = await endpoints.getEndpoint(endpointName(config.parsed, model));
    expect(state.trafficSplit).toEqual({ [deployedModelId(model, good)]: 100 });
    const applied = (await readAppliedRelease(runtime.blobs, model))?.applied;
    expect(applied).toMatchObject({
      state: "serving",
      release: { commit: good },
      declaredBy: {
        commit: declaredBy,
        author: "octocat",
        pullRequest: { mergedBy: "hubot", approvers: ["monalisa"] },
      },
    });
    const final = await settledStatus(declaredBy, `modelgate/release/${model}`);
    expect(final.state).toBe("success");
    expect(final.targetUrl).toMatch(/^https:\/\/storage\.cloud\.google\.com\/modelgate-artifacts\/reports\//);
    expect(statusesOf(declaredBy)).toEqual([
      [`modelgate/release/${model}`, "pending"],
      [`modelgate/release/${model}`, "success"],
    ]);
  });

  it("reports a bad entry by name while the good one applies with its canary share", {
    timeout: 120_000,
  }, async () => {
    const { commit: declaredBy } = await declare(
      `releases:\n  ${model}: { commit: "${better}", canary: 20 }\n  nosuch: { commit: "${better}" }\n`,
    );
    const requested = await waitFor(model, better, ["deployment-ready-published"]);
    expect(requested.find((e) => e.action === "deployment-ready-published")?.details?.canaryPercent).toBe(20);
    await waitFor(model, better, ["rollout-completed"]);
    const refused = (await runtime.ledger.read(unattributed, declaredBy)).find(
      (e) => e.action === ReleasesAction.releaseRefused,
    );
    expect(refused?.error?.message).toMatch(/no model "nosuch" is configured/);
    expect(statusesOf(declaredBy)).toContainEqual(["modelgate/release/nosuch", "failure"]);
    expect((await settledStatus(declaredBy, `modelgate/release/${model}`)).state).toBe("success");
    expect((await readAppliedRelease(runtime.blobs, model))?.applied).toMatchObject({
      state: "serving",
      release: { commit: better },
    });
  });

  it("leaves a failing release unapplied with the reason: previous version serving, state failed, status failure", {
    timeout: 120_000,
  }, async () => {
    const { commit: declaredBy } = await declare(`releases:\n  ${model}: { commit: "${shifted}" }\n`);
    await waitFor(model, shifted, ["rollback-completed"]);
    const state = await endpoints.getEndpoint(endpointName(config.parsed, model));
    expect(state.trafficSplit).toEqual({ [deployedModelId(model, better)]: 100 });
    const applied = (await readAppliedRelease(runtime.blobs, model))?.applied;
    expect(applied).toMatchObject({
      state: "failed",
      release: { commit: shifted },
      lastServing: { release: { commit: better } },
    });
    expect(applied?.reason).toBeTruthy();
    const final = await settledStatus(declaredBy, `modelgate/release/${model}`);
    expect(final.state).toBe("failure");
    expect(final.description).toContain(applied?.reason?.slice(0, 40) ?? "?");
  });

  it("re-declares the release that serves without deploying it, and a duplicate request changes nothing", {
    timeout: 60_000,
  }, async () => {
    const { commit: declaredBy } = await declare(`releases:\n  ${model}: { commit: "${better}" }\n`);
    await waitFor(model, better, [ReleasesAction.releaseAlreadyServing]);
    expect((await readAppliedRelease(runtime.blobs, model))?.applied).toMatchObject({
      state: "serving",
      release: { commit: better },
      declaredBy: { commit: declaredBy },
    });
    expect(statusesOf(declaredBy)).toEqual([[`modelgate/release/${model}`, "success"]]);
    // The same commit's releases requested again (a Flux event after the push, say): a second releases-requested.
    await runtime.publisher.publish(
      Topic.releasesRequested,
      releasesRequest(declaredBy, { correlationId: randomHex(8), trigger: "manual" }),
    );
    const records = await eventually(
      "the second request to be applied",
      async () => {
        const read = await runtime.ledger.read(model, better);
        return read.some(
          (e) => e.action === ReleasesAction.releaseUnchanged && e.details?.declaredBy === declaredBy,
        )
          ? read
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const deployments = records.filter((e) => e.action === "model-deployed");
    // `better` was deployed once, by its first release; neither declaration since deployed it again.
    expect(deployments).toHaveLength(1);
    expect(statusesOf(declaredBy)).toEqual([[`modelgate/release/${model}`, "success"]]);
  });
});
