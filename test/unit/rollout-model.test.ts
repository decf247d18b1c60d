import { describe, expect, it } from "vitest";
import { deployModelStep } from "../../functions/deploy-model/step.js";
import { rolloutModelStep } from "../../functions/rollout-model/step.js";
import { loadConfig } from "../../shared/config.js";
import {
  type DeploymentReady,
  encodeMessage,
  Verdict,
  type VerificationCompleted,
} from "../../shared/contracts.js";
import { TransientError, UpstreamError } from "../../shared/errors.js";
import { Label } from "../../shared/model-ports.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { Topic, type TopicName } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { provenanceLabels } from "../../shared/vertex/labels.js";
import { withoutRolloutSteps } from "../support/example-config.js";
import { FakeVertex, type FakeVertexMethod } from "../support/fake-vertex.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { rawPushEnvelope } from "../support/push-envelope.js";
import { promotionRequest } from "../support/step-messages.js";

const v1 = "1111111111111111111111111111111111111111";
const v2 = "2222222222222222222222222222222222222222";
const resource = "projects/local-project/locations/us-central1/models/fraud-detector";
const old = deployedModelId("fraud-detector", v1);
const canary = deployedModelId("fraud-detector", v2);

function pubsubEvent(topic: TopicName, data: Buffer, messageId: string, deliveryAttempt = 1) {
  return rawPushEnvelope(topic, data, { messageId, deliveryAttempt });
}

function verdictOn(ready: DeploymentReady, verdict: Verdict): VerificationCompleted {
  return {
    ...ready,
    causedBy: [{ source: "pubsub:deployment-ready", id: "r-1" }],
    verdict,
    reasons: verdict === Verdict.pass ? [] : ["accuracy 0.71 below 0.85"],
    metrics: { accuracy: verdict === Verdict.pass ? 0.93 : 0.71 },
    reportUri: `gs://modelgate-artifacts/reports/fraud-detector/${ready.commit}/report.json`,
  };
}

/** A serving v1 and a 10% canary of v2, made by the real deployModel step over the fake. */
async function canaryOnEndpoint(options: { firstDeployment?: boolean } = {}) {
  // The single canary; the rollout in steps is rollout-steps.test.ts.
  const runtime = memoryRuntime({ config: withoutRolloutSteps(loadConfig({})) });
  const vertex = new FakeVertex();
  const endpoint = vertex.addEndpoint("fraud-detector");
  for (const commit of [v1, v2]) await vertex.registerCommit(commit);
  const ports = () => ({ registry: vertex, deployer: vertex });
  const deploy = pubsubFunction(deployModelStep(ports), () => runtime);
  if (!options.firstDeployment) {
    await deploy(
      pubsubEvent(
        Topic.deploymentRequested,
        encodeMessage(Topic.deploymentRequested, promotionRequest(v1)).data,
        "d-1",
      ),
    );
    await vertex.mergeAliases(resource, "1", ["production"], []);
  }
  await deploy(
    pubsubEvent(
      Topic.deploymentRequested,
      encodeMessage(Topic.deploymentRequested, promotionRequest(v2)).data,
      "d-2",
    ),
  );
  const ready = runtime.publisher.on(Topic.deploymentReady).at(-1) as DeploymentReady;
  const rollout = pubsubFunction(rolloutModelStep(ports), () => runtime);
  const deliver = (message: VerificationCompleted, messageId = "v-1", attempt = 1) =>
    rollout(
      pubsubEvent(
        Topic.verificationCompleted,
        encodeMessage(Topic.verificationCompleted, message).data,
        messageId,
        attempt,
      ),
    );
  return { runtime, vertex, endpoint, ready, deliver };
}

/** The changing calls made to the fake, from call number `since` on. */
function mutations(vertex: FakeVertex, since = 0): FakeVertexMethod[] {
  const mutating = new Set<FakeVertexMethod>([
    "setTrafficSplit",
    "undeploy",
    "mergeAliases",
    "setLabels",
    "deploy",
  ]);
  return vertex.calls
    .slice(since)
    .map((c) => c.method)
    .filter((m) => mutating.has(m));
}

/** The endpoint serves `deployedModelId` alone, with all the traffic. */
function expectOnlyServing(vertex: FakeVertex, endpoint: string, deployedModelId: string): void {
  expect(vertex.endpoint(endpoint)).toMatchObject({
    deployedModels: [{ id: deployedModelId }],
    trafficSplit: { [deployedModelId]: 100 },
  });
}

/**
 * A canary whose verdict's first attempt dies right after `method` (Pub/Sub redelivers) and whose redelivery,
 * attempt 2, finishes; `repeats` are the calls of `method` both attempts made.
 */
async function verdictAfterCrash(verdict: Verdict, method: FakeVertexMethod) {
  const canaryRun = await canaryOnEndpoint();
  const { vertex, ready, deliver } = canaryRun;
  const mark = vertex.calls.length;
  vertex.crashAfter(method);
  await expect(deliver(verdictOn(ready, verdict))).rejects.toBeInstanceOf(TransientError);
  await deliver(verdictOn(ready, verdict), "v-1", 2);
  return { ...canaryRun, repeats: mutations(vertex, mark).filter((m) => m === method) };
}

describe("rolloutModel on pass", () => {
  it("gives the candidate all traffic, moves the production alias, undeploys the old model, labels the verdict", async () => {
    const { runtime, vertex, endpoint, ready, deliver } = await canaryOnEndpoint();
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [old]: 90, [canary]: 10 });
    await deliver(verdictOn(ready, "pass"));

    expect(vertex.endpoint(endpoint)).toMatchObject({
      deployedModels: [{ id: canary, versionId: "2" }],
      trafficSplit: { [canary]: 100 },
    });
    const [first, second] = vertex.versions(resource);
    expect(first?.aliases).toEqual(["default"]);
    expect(second?.aliases).toEqual(["production"]);
    expect(second?.labels[Label.verdict]).toBe("passed");
    expect(second?.labels[Label.commit]).toBe(v2);
    const ledger = await runtime.ledger.read("fraud-detector", v2);
    expect(ledger.find((e) => e.action === "rollout-completed")).toMatchObject({
      correlationId: "promote-2222",
      details: { performed: expect.arrayContaining(["traffic-promoted", "production-alias-moved"]) },
    });
    expect(ledger.find((e) => e.action === "previous-model-undeployed")).toMatchObject({
      outcome: "succeeded",
      details: { request: { deployedModelId: old }, response: expect.anything() },
    });
  });

  it("promotes a first deployment: it already has all traffic, the alias and label follow", async () => {
    const { vertex, endpoint, ready, deliver } = await canaryOnEndpoint({ firstDeployment: true });
    await deliver(verdictOn(ready, "pass"));
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [canary]: 100 });
    expect(vertex.count("setTrafficSplit")).toBe(0);
    expect(vertex.count("undeploy")).toBe(0);
    expect(vertex.versions(resource)[1]?.aliases).toEqual(["production"]);
  });

  it.each<FakeVertexMethod>(["setTrafficSplit", "mergeAliases", "undeploy", "setLabels"])(
    "finishes the job when an attempt died right after %s",
    async (method) => {
      const { vertex, endpoint, repeats } = await verdictAfterCrash("pass", method);

      expectOnlyServing(vertex, endpoint, canary);
      expect(vertex.versions(resource)[1]).toMatchObject({
        aliases: ["production"],
        labels: { [Label.verdict]: "passed" },
      });
      // Nothing done twice: each sub-step checked the state before acting.
      expect(repeats).toHaveLength(1);
    },
  );

  it("does nothing on a repeat after it finished", async () => {
    const { vertex, ready, deliver } = await canaryOnEndpoint();
    await deliver(verdictOn(ready, "pass"));
    const before = mutations(vertex).length;
    await deliver(verdictOn(ready, "pass"), "v-2");
    await deliver(verdictOn({ ...ready, correlationId: "another-verification" }, "pass"), "v-3");
    expect(mutations(vertex)).toHaveLength(before);
  });

  it("refuses to promote a candidate that is no longer deployed", async () => {
    const { runtime, vertex, endpoint, ready, deliver } = await canaryOnEndpoint();
    await vertex.setTrafficSplit(endpoint, { [old]: 100 });
    await vertex.undeploy(endpoint, canary);
    await deliver(verdictOn(ready, "pass"));
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [old]: 100 });
    const failed = (await runtime.ledger.read("fraud-detector", v2)).find((e) => e.action === "step-failed");
    expect(failed?.error).toMatchObject({
      code: "UPSTREAM",
      message: expect.stringContaining("no longer deployed"),
    });
  });
});

describe("rolloutModel on fail", () => {
  it("restores the previous split exactly, undeploys the candidate and labels its version failed", async () => {
    const { runtime, vertex, endpoint, ready, deliver } = await canaryOnEndpoint();
    await deliver(verdictOn(ready, "fail"));
    expect(vertex.endpoint(endpoint)).toMatchObject({
      deployedModels: [{ id: old, versionId: "1" }],
      trafficSplit: { [old]: 100 },
    });
    const [first, second] = vertex.versions(resource);
    expect(first?.aliases).toContain("production");
    expect(second?.aliases).not.toContain("production");
    expect(second?.labels[Label.verdict]).toBe("failed");
    const ledger = await runtime.ledger.read("fraud-detector", v2);
    expect(ledger.find((e) => e.action === "rollback-completed")).toMatchObject({
      details: { trafficSplit: { [old]: 100 } },
    });
  });

  it("leaves nothing serving when a first deployment fails", async () => {
    const { vertex, endpoint, ready, deliver } = await canaryOnEndpoint({ firstDeployment: true });
    await deliver(verdictOn(ready, "fail"));
    expect(vertex.endpoint(endpoint)).toEqual({ name: endpoint, deployedModels: [], trafficSplit: {} });
    expect(vertex.versions(resource)[1]?.labels[Label.verdict]).toBe("failed");
  });

  it("restores a split between several models exactly, not as rescaled from the canary", async () => {
    const { vertex, endpoint, deliver, runtime } = await canaryOnEndpoint({ firstDeployment: true });
    // Start over from a 67/33 split between two versions, then canary a third at 10%.
    const ready = runtime.publisher.on(Topic.deploymentReady).at(-1) as DeploymentReady;
    await deliver(verdictOn(ready, "pass"));
    await vertex.deploy(endpoint, {
      deployedModelId: "77",
      modelResource: resource,
      versionId: "1",
      displayName: "side",
      machineType: "n1-standard-2",
      minReplicas: 1,
      maxReplicas: 1,
      trafficSplit: { [canary]: 67, "77": 33 },
    });
    const third = "3333333333333333333333333333333333333333";
    await vertex.uploadVersion({
      displayName: "fraud-detector",
      parentModel: resource,
      artifactUri: "gs://modelgate-artifacts/x/",
      servingContainer: { imageUri: "serving" },
      labels: provenanceLabels({
        model: "fraud-detector",
        commit: third,
        repository: "acme/x",
        correlationId: "c",
      }),
      aliases: [],
    });
    const deploy = pubsubFunction(
      deployModelStep(() => ({ registry: vertex, deployer: vertex })),
      () => runtime,
    );
    await deploy(
      pubsubEvent(
        Topic.deploymentRequested,
        encodeMessage(Topic.deploymentRequested, promotionRequest(third)).data,
        "d-3",
      ),
    );
    const thirdId = deployedModelId("fraud-detector", third);
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [canary]: 60, "77": 30, [thirdId]: 10 });

    const thirdReady = runtime.publisher.on(Topic.deploymentReady).at(-1) as DeploymentReady;
    await deliver(verdictOn(thirdReady, "fail"), "v-3");
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [canary]: 67, "77": 33 });
  });

  it.each<FakeVertexMethod>(["setTrafficSplit", "undeploy", "setLabels"])(
    "finishes the rollback when an attempt died right after %s",
    async (method) => {
      const { vertex, endpoint, repeats } = await verdictAfterCrash("fail", method);
      expectOnlyServing(vertex, endpoint, old);
      expect(vertex.versions(resource)[1]?.labels[Label.verdict]).toBe("failed");
      expect(repeats).toHaveLength(1);
    },
  );

  it("records an INVALID_ARGUMENT while restoring and does not retry it", async () => {
    const { runtime, vertex, ready, deliver } = await canaryOnEndpoint();
    vertex.failNext("setTrafficSplit", new UpstreamError("UpdateEndpoint failed: 3 INVALID_ARGUMENT: nope"));
    await deliver(verdictOn(ready, "fail"));
    await deliver(verdictOn(ready, "fail"), "v-1", 2);
    expect(vertex.count("setTrafficSplit")).toBe(1);
    const failed = (await runtime.ledger.read("fraud-detector", v2)).filter((e) => e.outcome === "failed");
    expect(failed.map((e) => e.action).sort()).toEqual(["step-failed", "traffic-restored"]);
    expect(failed.find((e) => e.action === "traffic-restored")?.error).toMatchObject({
      message: expect.stringContaining("INVALID_ARGUMENT"),
    });
  });
});

describe("rolloutModel refuses targets it did not deploy", () => {
  it.each([
    {
      field: "endpoint",
      change: { endpoint: "projects/local-project/locations/us-central1/endpoints/other" },
    },
    { field: "deployedModelId", change: { deployedModelId: "1234567890" } },
  ])("a foreign $field", async ({ field, change }) => {
    const { runtime, vertex, ready, deliver } = await canaryOnEndpoint();
    const before = vertex.calls.length;
    await deliver({ ...verdictOn(ready, "pass"), ...change });
    expect(vertex.calls).toHaveLength(before);
    const failed = (await runtime.ledger.read("fraud-detector", v2)).find((e) => e.action === "step-failed");
    expect(failed?.error).toMatchObject({
      code: "INVALID_MESSAGE",
      details: { issues: [expect.objectContaining({ path: field })] },
    });
  });
});

describe("the rollout's GitHub deployment, through notifyGithub", () => {
  const deploymentStatuses = (runtime: ReturnType<typeof memoryRuntime>, commit: string) =>
    runtime.publisher
      .on(Topic.githubNotifications)
      .filter((n) => n.kind === "deployment-status" && n.commit === commit)
      .map((n) => (n.kind === "deployment-status" ? [n.state, n.rolloutStep, n.logUrl, n.environment] : []));

  it("is queued, then its step under way, then success linking the report", async () => {
    const { runtime, ready, deliver } = await canaryOnEndpoint();
    await deliver(verdictOn(ready, "pass"));
    const report = `https://storage.cloud.google.com/modelgate-artifacts/reports/fraud-detector/${v2}/report.html`;
    expect(deploymentStatuses(runtime, v2)).toEqual([
      ["queued", undefined, undefined, "fraud-detector"],
      ["in_progress", 0, undefined, "fraud-detector"],
      ["success", undefined, report, "fraud-detector"],
    ]);
    const ledger = await runtime.ledger.read("fraud-detector", v2);
    expect(ledger.filter((e) => e.action === "github-notification-requested")).toHaveLength(3);
  });

  it("ends in failure, with the reasons, when the step fails", async () => {
    const { runtime, ready, deliver } = await canaryOnEndpoint();
    await deliver(verdictOn(ready, "fail"));
    expect(deploymentStatuses(runtime, v2).map(([state]) => state)).toEqual([
      "queued",
      "in_progress",
      "failure",
    ]);
    const failure = runtime.publisher.on(Topic.githubNotifications).at(-1);
    expect(failure?.description).toBe("failed at step 1 of 1, split restored: accuracy 0.71 below 0.85");
  });
});
