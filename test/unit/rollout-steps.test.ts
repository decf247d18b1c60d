import { describe, expect, it } from "vitest";
import { deployModelStep } from "../../functions/deploy-model/step.js";
import { rolloutModelStep } from "../../functions/rollout-model/step.js";
import { type Config, loadConfig } from "../../shared/config.js";
import {
  type DeploymentReady,
  encodeMessage,
  type Verdict,
  type VerificationCompleted,
} from "../../shared/contracts.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import {
  type AppliedRelease,
  readAppliedRelease,
  writeAppliedRelease,
} from "../../shared/releases/applied-release.js";
import type { RolloutConfig } from "../../shared/rollout-config.js";
import { Scheduled, type StepScheduler, stepTaskId } from "../../shared/step-scheduler.js";
import { Topic } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { FakeVertex } from "../support/fake-vertex.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { rawPushEnvelope } from "../support/push-envelope.js";
import { promotionRequest } from "../support/step-messages.js";

const [v1, v2, v3] = ["1", "2", "3"].map((d) => d.repeat(40)) as [string, string, string];
const a = deployedModelId("fraud-detector", v1);
const b = deployedModelId("fraud-detector", v2);
const c = deployedModelId("fraud-detector", v3);

function configWith(rollout: RolloutConfig, promoters = ["alice"]): Config {
  const config = loadConfig({});
  const model = config.models["fraud-detector"];
  if (!model) throw new Error("the example configuration has fraud-detector");
  return {
    ...config,
    models: { "fraud-detector": { ...model, rollout, promotion: { ...model.promotion, promoters } } },
  };
}

const threeSteps: RolloutConfig = {
  confidence: 0.95,
  steps: [
    { traffic: 10, approval: false },
    { traffic: 50, approval: false },
    { traffic: 100, approval: false },
  ],
};

class RecordingScheduler implements StepScheduler {
  readonly tasks = new Map<string, { message: DeploymentReady; at: Date }>();
  async schedule(name: string, message: DeploymentReady, at: Date): Promise<Scheduled> {
    if (this.tasks.has(name)) return Scheduled.alreadyScheduled;
    this.tasks.set(name, { message, at });
    return Scheduled.scheduled;
  }
}

/** v1 (70 %) and v2 (30 %) serving, and v3 deployed by the real deployModel at the rollout's first step. */
async function rolloutOf(plan: RolloutConfig, now = new Date("2026-03-01T12:00:00Z")) {
  const runtime = memoryRuntime({ config: configWith(plan) });
  const vertex = new FakeVertex();
  const scheduler = new RecordingScheduler();
  const endpoint = vertex.addEndpoint("fraud-detector");
  const versions: Array<{ modelResource: string }> = [];
  for (const commit of [v1, v2, v3]) versions.push(await vertex.registerCommit(commit));
  const spec = (id: string, versionId: string) => ({
    deployedModelId: id,
    modelResource: versions[0]?.modelResource ?? "",
    versionId,
    displayName: id,
    machineType: "n1-standard-2",
    minReplicas: 1,
    maxReplicas: 1,
  });
  await vertex.deploy(endpoint, { ...spec(a, "1"), trafficSplit: { [a]: 100 } });
  await vertex.deploy(endpoint, { ...spec(b, "2"), trafficSplit: { [a]: 70, [b]: 30 } });
  const ports = () => ({ registry: vertex, deployer: vertex, scheduler });
  const deploy = pubsubFunction(deployModelStep(ports), () => runtime);
  await deploy(
    rawPushEnvelope(
      Topic.deploymentRequested,
      encodeMessage(Topic.deploymentRequested, promotionRequest(v3)).data,
      { messageId: "d-3" },
    ),
  );
  const rollout = pubsubFunction(rolloutModelStep(ports, { now: () => now }), () => runtime);
  let sent = 0;
  const deliver = (message: VerificationCompleted, attempt = 1) =>
    rollout(
      rawPushEnvelope(Topic.verificationCompleted, encodeMessage(Topic.verificationCompleted, message).data, {
        messageId: `v-${++sent}`,
        deliveryAttempt: attempt,
      }),
    );
  const lastReady = () => runtime.publisher.on(Topic.deploymentReady).at(-1) as DeploymentReady;
  return { runtime, vertex, scheduler, endpoint, deliver, lastReady };
}

function verdictOn(ready: DeploymentReady, verdict: Verdict, extra: Partial<VerificationCompleted> = {}) {
  return {
    ...ready,
    verdict,
    reasons: [`${verdict} at step ${ready.rolloutStep ?? 0}`],
    metrics: {},
    reportUri: `gs://modelgate-artifacts/reports/fraud-detector/${ready.commit}/report.json`,
    ...extra,
  } satisfies VerificationCompleted;
}

const actions = async (runtime: ReturnType<typeof memoryRuntime>) =>
  (await runtime.ledger.read("fraud-detector", v3)).map((e) => e.action);

describe("a release rolled out in steps", () => {
  it("is serving only once its last step passed, not after an earlier one", async () => {
    const { deliver, lastReady, runtime } = await rolloutOf(threeSteps);
    const declaredBy = "d".repeat(40);
    const requested: AppliedRelease = {
      schemaVersion: 1,
      model: "fraud-detector",
      release: { commit: v3 },
      declaredBy: {
        repository: "acme/fraud-detector",
        commit: declaredBy,
        path: "modelgate.releases.yaml",
        trigger: "flux",
        at: "2026-03-01T11:00:00.000Z",
      },
      state: "requested",
      updatedAt: "2026-03-01T11:00:00.000Z",
    };
    await writeAppliedRelease(runtime.blobs, requested, "0");
    const release = { release: { declaredBy } };
    const state = async () => (await readAppliedRelease(runtime.blobs, "fraud-detector"))?.applied.state;
    const releaseStatuses = () =>
      runtime.publisher.on(Topic.githubNotifications).filter((n) => n.commit === declaredBy);

    // The first step's verdict carries the release (deployModel's deployment-ready did); each later step's
    // deployment-ready must carry it on, or the rollout's end is never recorded as the release's.
    await deliver(verdictOn(lastReady(), "pass", release));
    expect(lastReady()).toMatchObject({ rolloutStep: 1, ...release });
    await deliver(verdictOn(lastReady(), "pass"));
    expect(await state()).toBe("requested");
    expect(releaseStatuses()).toEqual([]);

    await deliver(verdictOn(lastReady(), "pass"));
    expect(await state()).toBe("serving");
    expect(releaseStatuses()).toMatchObject([{ state: "success" }]);
  });
});

describe("a rollout in steps", () => {
  it("deploys at the first step's share and moves through each step to 100 %", async () => {
    const { vertex, endpoint, deliver, lastReady, runtime } = await rolloutOf(threeSteps);
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 63, [b]: 27, [c]: 10 });
    expect(lastReady()).toMatchObject({
      rolloutStep: 0,
      canaryPercent: 10,
      previousTrafficSplit: { [a]: 70, [b]: 30 },
    });

    await deliver(verdictOn(lastReady(), "pass"));
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 35, [b]: 15, [c]: 50 });
    expect(lastReady()).toMatchObject({ rolloutStep: 1, canaryPercent: 50 });

    await deliver(verdictOn(lastReady(), "pass"));
    // At 100 % the models that served before are still deployed: the last step may still fail.
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [c]: 100 });
    expect(
      vertex
        .endpoint(endpoint)
        .deployedModels.map((d) => d.id)
        .sort(),
    ).toEqual([a, b, c].sort());
    expect(lastReady()).toMatchObject({ rolloutStep: 2, canaryPercent: 100 });

    await deliver(verdictOn(lastReady(), "pass"));
    expect(vertex.endpoint(endpoint).deployedModels.map((d) => d.id)).toEqual([c]);
    expect(await actions(runtime)).toContain("rollout-completed");
  });

  it.each([1, 2])("restores the split from before the rollout exactly when step %i fails", async (failAt) => {
    const { vertex, endpoint, deliver, lastReady } = await rolloutOf(threeSteps);
    for (let step = 0; step < failAt; step++) await deliver(verdictOn(lastReady(), "pass"));
    expect(lastReady().rolloutStep).toBe(failAt);
    await deliver(verdictOn(lastReady(), "fail"));
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 70, [b]: 30 });
    expect(
      vertex
        .endpoint(endpoint)
        .deployedModels.map((d) => d.id)
        .sort(),
    ).toEqual([a, b].sort());
  });

  it("acts once on a redelivered step verdict", async () => {
    const { vertex, deliver, lastReady, runtime } = await rolloutOf(threeSteps);
    const step0 = verdictOn(lastReady(), "pass");
    await deliver(step0);
    const calls = vertex.count("setTrafficSplit");
    await deliver(step0);
    await deliver(step0, 2);
    expect(vertex.count("setTrafficSplit")).toBe(calls);
    expect(runtime.publisher.on(Topic.deploymentReady)).toHaveLength(2);
    // GitHub is told the second step is under way once, after deployModel's queued and first step.
    const said = runtime.publisher
      .on(Topic.githubNotifications)
      .flatMap((n) => (n.kind === "deployment-status" ? [`${n.state} ${n.description}`] : []));
    expect(said).toEqual([
      "queued deploying version 3 with 10 % of the traffic",
      "in_progress step 1 of 3: 10 % of the traffic, verifying",
      "in_progress step 2 of 3: 50 % of the traffic, verifying",
    ]);
  });

  it("schedules a step with a bake for now + bake under a deterministic task name, once", async () => {
    const now = new Date("2026-03-01T12:00:00Z");
    const baked: RolloutConfig = {
      ...threeSteps,
      steps: [
        threeSteps.steps[0],
        { traffic: 50, bake: "30m", approval: false },
        threeSteps.steps[2],
      ] as RolloutConfig["steps"],
    };
    const { scheduler, vertex, endpoint, deliver, lastReady, runtime } = await rolloutOf(baked, now);
    const ready = lastReady();
    await deliver(verdictOn(ready, "pass"));
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 35, [b]: 15, [c]: 50 });
    // Not published: the task publishes it when the bake is over.
    expect(runtime.publisher.on(Topic.deploymentReady)).toHaveLength(1);
    const name = stepTaskId(ready, 1);
    expect([...scheduler.tasks.keys()]).toEqual([name]);
    expect(scheduler.tasks.get(name)?.at.toISOString()).toBe("2026-03-01T12:30:00.000Z");
    expect(scheduler.tasks.get(name)?.message).toMatchObject({ rolloutStep: 1, canaryPercent: 50 });

    // A crash after scheduling: the redelivery finds the task there and schedules nothing new.
    await deliver({ ...verdictOn(ready, "pass"), correlationId: ready.correlationId }, 2);
    expect(scheduler.tasks.size).toBe(1);
    expect(await actions(runtime)).toContain("rollout-step-scheduled");
  });
});

describe("pauses for a person", () => {
  const withApproval: RolloutConfig = {
    ...threeSteps,
    steps: [
      threeSteps.steps[0],
      { traffic: 50, approval: true },
      threeSteps.steps[2],
    ] as RolloutConfig["steps"],
  };

  it("waits before a step that needs approval, and goes on when a promoter promotes", async () => {
    const { vertex, endpoint, deliver, lastReady, runtime } = await rolloutOf(withApproval);
    const passed = verdictOn(lastReady(), "pass");
    await deliver(passed);
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 63, [b]: 27, [c]: 10 });
    const ledger = await runtime.ledger.read("fraud-detector", v3);
    expect(ledger.find((e) => e.action === "rollout-awaiting-approval")?.details).toMatchObject({
      step: 1,
      verification: { rolloutStep: 0, verdict: "pass" },
    });

    await deliver({ ...passed, resume: { action: "promote", by: "alice", at: "2026-03-01T13:00:00.000Z" } });
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 35, [b]: 15, [c]: 50 });
    const resumed = (await runtime.ledger.read("fraud-detector", v3)).find(
      (e) => e.action === "rollout-resumed",
    );
    expect(resumed?.details).toMatchObject({ resume: { by: "alice", at: "2026-03-01T13:00:00.000Z" } });
  });

  it("refuses a promote by someone who is not a promoter, naming why", async () => {
    const { vertex, endpoint, deliver, lastReady, runtime } = await rolloutOf(withApproval);
    const passed = verdictOn(lastReady(), "pass");
    await deliver(passed);
    await deliver({
      ...passed,
      resume: { action: "promote", by: "mallory", at: "2026-03-01T13:00:00.000Z" },
    });
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 63, [b]: 27, [c]: 10 });
    const failed = (await runtime.ledger.read("fraud-detector", v3)).find((e) => e.action === "step-failed");
    expect(failed?.error?.message).toMatch(/"mallory" refused: not one of promotion.promoters/);
  });

  it("pauses an inconclusive step, and an abort from there restores the split from before the rollout", async () => {
    const { vertex, endpoint, deliver, lastReady, runtime } = await rolloutOf(threeSteps);
    await deliver(verdictOn(lastReady(), "pass"));
    const inconclusive = verdictOn(lastReady(), "inconclusive");
    await deliver(inconclusive);
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 35, [b]: 15, [c]: 50 });
    const paused = (await runtime.ledger.read("fraud-detector", v3)).find(
      (e) => e.action === "rollout-paused-inconclusive",
    );
    // Counted from 1, as GitHub and the CLI say it: the second step.
    expect(paused?.details?.reason).toMatch(/^step 2 is inconclusive: /);

    await deliver({
      ...inconclusive,
      resume: { action: "abort", by: "alice", at: "2026-03-01T14:00:00.000Z" },
    });
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 70, [b]: 30 });
    const ledger = await runtime.ledger.read("fraud-detector", v3);
    expect(ledger.find((e) => e.action === "rollout-aborted")?.details).toMatchObject({
      resume: { by: "alice" },
    });
    expect(ledger.find((e) => e.action === "rollback-completed")?.details).toMatchObject({ step: 1 });
  });

  it("lets a promote settle an inconclusive step", async () => {
    const { vertex, endpoint, deliver, lastReady } = await rolloutOf(threeSteps);
    const inconclusive = verdictOn(lastReady(), "inconclusive");
    await deliver(inconclusive);
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 63, [b]: 27, [c]: 10 });
    await deliver({
      ...inconclusive,
      resume: { action: "promote", by: "alice", at: "2026-03-01T14:00:00.000Z" },
    });
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 35, [b]: 15, [c]: 50 });
  });

  it("does not bring back a candidate aborted while a later step was being verified", async () => {
    const { vertex, endpoint, deliver, lastReady, runtime } = await rolloutOf(threeSteps);
    const step0 = verdictOn(lastReady(), "pass");
    await deliver({ ...step0, resume: { action: "abort", by: "alice", at: "2026-03-01T14:00:00.000Z" } });
    await deliver(step0);
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [a]: 70, [b]: 30 });
    expect(await actions(runtime)).toContain("rollout-step-superseded");
  });
});
