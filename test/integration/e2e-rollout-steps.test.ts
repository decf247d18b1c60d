import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverGithubEvent, randomHex } from "../../cli/github-push.js";
import { runCli } from "../../cli/main.js";
import { buildExampleObjects, EXAMPLE_OBJECTS } from "../../examples/fraud-detector/seed-data.js";
import type { LocalStack } from "../../local/stack.js";
import { endpointName, vertexParent } from "../../shared/config.js";
import type { LedgerEntry } from "../../shared/ledger.js";
import type { Runtime } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { rolloutQueuePath } from "../../shared/tasks/cloud-tasks-scheduler.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { fraudDetectorTrainingPush, startE2eStack } from "../support/e2e-stack.js";
import { eventually } from "../support/eventually.js";
import { exampleConfigCopy } from "../support/example-config.js";
import { waitForLedger } from "../support/wait-for-ledger.js";

// Progressive delivery on the local stack: each commit is trained, registered and deployed for real, then goes
// through three steps — 10 % on the first 100 golden lines (too few to decide the accuracy drop: inconclusive),
// 50 % after approval and a 3 s bake (a Cloud Tasks task on the local Cloud Tasks server), 100 % — each verified
// through the live endpoint.
const model = "fraud-detector";
const secret = "e2e-rollout-secret-e2e-rollout-secret";
const { path: configPath, config } = exampleConfigCopy((doc) => {
  const fraud = doc.models[model];
  fraud.promotion.promoters = ["modelgate-demo", "alice"];
  fraud.verification.maxAccuracyDrop = 0.06;
  fraud.rollout = {
    steps: [{ traffic: 10, sampleSize: 100 }, { traffic: 50, bake: "3s", approval: true }, { traffic: 100 }],
  };
});
const endpoint = endpointName(config, model);
const objects = buildExampleObjects();
const normalData = objects.find((o) => o.name === EXAMPLE_OBJECTS.train)?.contents ?? "";
const golden = objects.find((o) => o.name === EXAMPLE_OBJECTS.golden)?.contents ?? "";
/** The golden set with every label wrong: any candidate fails the step verified on it. */
const wrongGolden = golden
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => {
    const row = JSON.parse(line) as { instance: unknown; label: number };
    return JSON.stringify({ ...row, label: row.label === 1 ? 0 : 1 });
  })
  .join("\n");

describe("a rollout in steps on the local stack", () => {
  let stack: LocalStack;
  let runtime: Runtime;
  let endpoints: VertexEndpointDeployer;
  let serving = "";
  let firstCommit = "";

  beforeAll(async () => {
    ({ stack, runtime } = await startE2eStack({
      config,
      configPath,
      webhookSecret: secret,
    }));
    endpoints = new VertexEndpointDeployer({
      endpoint: loadSettings(stack.env).vertexEndpoint,
      region: config.region,
      parent: vertexParent(config),
    });
  }, 90_000);

  afterAll(async () => {
    await endpoints?.close();
    await stack?.close();
  });

  async function push(commit: string) {
    // The commit exists on GitHub, as a pushed one does: its deployments and statuses are set on it.
    stack.servers.github.state.addCommit("acme/fraud-detector", { sha: commit, files: {} });
    await runtime.blobs.write(EXAMPLE_OBJECTS.train, normalData, { contentType: "application/x-ndjson" });
    const payload = fraudDetectorTrainingPush(commit);
    const reply = await deliverGithubEvent(stack.functions.githubWebhook.url, secret, "push", payload);
    expect(reply.status).toBe(202);
  }

  const waitFor = (commit: string, actions: string[], count = 1): Promise<LedgerEntry[]> =>
    waitForLedger(runtime.ledger, { model, commit }, actions, { count, timeoutMs: 80_000 });

  async function cli(...argv: string[]): Promise<{ code: number; text: string }> {
    const out: string[] = [];
    const io = {
      out: (t: string) => out.push(t),
      err: (t: string) => out.push(t),
      env: { ...stack.env, MODELGATE_CONFIG: configPath, USER: "mallory" },
    };
    const code = await runCli(argv, io);
    return { code, text: out.join("") };
  }

  const split = async () => (await endpoints.getEndpoint(endpoint)).trafficSplit;

  /** The commit's GitHub deployments as the stand-in recorded them: each one's statuses, "state (step)". */
  const githubDeployments = (commit: string) =>
    stack.servers.github.state.deployments.all
      .filter((d) => d.sha === commit)
      .map((d) => ({
        environment: d.environment,
        statuses: d.statuses.map((s) => s.state + (s.state === "in_progress" ? ` (${s.description})` : "")),
      }));

  /** Waits until the commit's deployment has ended in `state`, then returns what GitHub shows. */
  const deploymentEnded = (commit: string, state: string) =>
    eventually(
      `the GitHub deployment of ${commit} to end in ${state}`,
      () => {
        const found = githubDeployments(commit);
        return found[0]?.statuses.at(-1) === state ? found : undefined;
      },
      { timeoutMs: 20_000, detail: () => JSON.stringify(githubDeployments(commit)) },
    );

  /** A commit deployed at the first step and paused there: its sample is too small to decide. */
  async function pausedAtFirstStep(): Promise<string> {
    const commit = randomHex(40);
    await push(commit);
    const entries = await waitFor(commit, ["rollout-paused-inconclusive"]);
    const paused = entries.find((e) => e.action === "rollout-paused-inconclusive");
    expect(paused?.details).toMatchObject({
      step: 0,
      reason: expect.stringMatching(/interval .* straddles/),
    });
    const candidate = deployedModelId(model, commit);
    expect(await split()).toEqual({ [serving]: 90, [candidate]: 10 });
    return commit;
  }

  it("deploys a first version with all the traffic, verified as the last step", {
    timeout: 90_000,
  }, async () => {
    const commit = randomHex(40);
    await push(commit);
    await waitFor(commit, ["rollout-completed"]);
    serving = deployedModelId(model, commit);
    expect(await split()).toEqual({ [serving]: 100 });
    firstCommit = commit;
    expect(await deploymentEnded(commit, "success")).toEqual([
      {
        environment: endpoint.split("/").at(-1),
        statuses: ["queued", "in_progress (step 3 of 3: 100 % of the traffic, verifying)", "success"],
      },
    ]);
  });

  it("pauses an inconclusive step, refuses a stranger, and on promote goes through a baked step to 100 %", {
    timeout: 120_000,
  }, async () => {
    const commit = await pausedAtFirstStep();
    const report = JSON.parse(
      (await runtime.blobs.read(`reports/${model}/${commit}/report.json`))?.data.toString() ?? "{}",
    );
    expect(report.verdict).toBe("inconclusive");
    expect(report.checks.find((c: { name: string }) => c.name === "accuracy-drop")?.interval).toMatchObject({
      confidence: 0.95,
    });

    const refused = await cli("promote", model, "--commit", commit);
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/"mallory" is not one of fraud-detector's promotion.promoters/);

    expect((await cli("promote", model, "--commit", commit, "--as", "alice")).code).toBe(0);
    const entries = await waitFor(commit, ["rollout-completed"]);
    const candidate = deployedModelId(model, commit);
    expect(await split()).toEqual({ [candidate]: 100 });

    // The bake: scheduled as a task, rolloutModel done before its time, the task dispatched after it.
    const scheduled = entries.find((e) => e.action === "rollout-step-scheduled");
    const scheduleTime = new Date(String(scheduled?.details?.scheduleTime));
    expect(scheduleTime.getTime() - new Date(String(scheduled?.details?.scheduledAt)).getTime()).toBe(3_000);
    // No instance waits out the bake: rolloutModel recorded the task and finished before the bake was over.
    expect(new Date(scheduled?.at ?? 0).getTime()).toBeLessThan(scheduleTime.getTime());
    const dispatches = stack.servers.tasks.queue(rolloutQueuePath(config))?.dispatches ?? [];
    const dispatch = dispatches.find((d) => d.task.endsWith(String(scheduled?.details?.task)));
    expect(dispatch?.status).toBe(200);
    expect(dispatch?.authorization).toMatch(/^Bearer /);
    expect(dispatch?.at.getTime()).toBeGreaterThanOrEqual(scheduleTime.getTime());
    const verifiedAt = entries
      .filter((e) => e.action === "verification-completed")
      .map((e) => ({ step: e.details?.metrics, at: e.at }));
    expect(verifiedAt).toHaveLength(3);
    expect(entries.find((e) => e.action === "rollout-resumed")?.details).toMatchObject({
      resume: { by: "alice" },
    });
    const lineage = await cli("lineage", model, "--commit", commit);
    expect(lineage.text).toContain("rollout-resumed");
    serving = candidate;

    // What GitHub shows: the deployment through each step to success, the version it replaced inactive.
    const [deployment] = await deploymentEnded(commit, "success");
    expect(deployment?.statuses).toEqual([
      "queued",
      "in_progress (step 1 of 3: 10 % of the traffic, verifying)",
      expect.stringMatching(/^in_progress \(step 1 of 3: 10 % of the traffic, paused, inconclusive: /),
      "in_progress (step 2 of 3: 50 % of the traffic, baking 3s)",
      "in_progress (step 3 of 3: 100 % of the traffic, verifying)",
      "success",
    ]);
    expect(githubDeployments(firstCommit)[0]?.statuses.at(-1)).toBe("inactive");
    const recorded = stack.servers.github.state.deployments.all.find((d) => d.sha === commit);
    expect(recorded?.statuses.at(-1)?.logUrl).toMatch(
      new RegExp(`^https://storage.cloud.google.com/[^/]+/reports/${model}/${commit}/step-2/report.html$`),
    );
    const verification = stack.servers.github.state.statuses
      .filter((s) => s.sha === commit && s.context === `modelgate/verification/${model}`)
      .map((s) => s.state);
    expect(verification).toEqual(["pending", "success", "success"]);
  });

  it("aborts from a paused step, restoring the split from before the rollout exactly", {
    timeout: 90_000,
  }, async () => {
    const before = await split();
    const commit = await pausedAtFirstStep();
    expect((await cli("abort", model, "--commit", commit, "--as", "alice")).code).toBe(0);
    const entries = await waitFor(commit, ["rollback-completed"]);
    expect(await split()).toEqual(before);
    expect(entries.find((e) => e.action === "rollout-aborted")?.details).toMatchObject({
      resume: { by: "alice" },
    });
  });

  it("fails at the second step and restores the split from before the rollout exactly", {
    timeout: 90_000,
  }, async () => {
    const before = await split();
    const commit = await pausedAtFirstStep();
    await runtime.blobs.write(EXAMPLE_OBJECTS.golden, wrongGolden, { contentType: "application/x-ndjson" });
    try {
      expect((await cli("promote", model, "--commit", commit, "--as", "alice")).code).toBe(0);
      const entries = await waitFor(commit, ["rollback-completed"]);
      expect(entries.some((e) => e.action === "traffic-advanced")).toBe(true);
      const [deployment] = await deploymentEnded(commit, "failure");
      expect(deployment?.statuses.slice(-2)).toEqual([
        "in_progress (step 2 of 3: 50 % of the traffic, baking 3s)",
        "failure",
      ]);
      const report = JSON.parse(
        (await runtime.blobs.read(`reports/${model}/${commit}/step-1/report.json`))?.data.toString() ?? "{}",
      );
      expect(report.verdict).toBe("fail");
      // The step's report shows the step before it, read back as verifyDeployment's own identity.
      expect(report.earlierSteps).toEqual([
        expect.objectContaining({ step: 0, canaryPercent: 10, verdict: "inconclusive", lines: 100 }),
      ]);
    } finally {
      await runtime.blobs.write(EXAMPLE_OBJECTS.golden, golden, { contentType: "application/x-ndjson" });
    }
    expect(await split()).toEqual(before);
  });
});
