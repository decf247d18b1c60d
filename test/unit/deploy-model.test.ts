import { describe, expect, it } from "vitest";
import { canaryPlanPath } from "../../functions/deploy-model/canary-plan.js";
import { deployModelStep } from "../../functions/deploy-model/step.js";
import { modelConfig } from "../../shared/config.js";
import { type DeploymentRequested, encodeMessage } from "../../shared/contracts.js";
import { TransientError, UpstreamError } from "../../shared/errors.js";
import { Label } from "../../shared/model-ports.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { rolloutSteps } from "../../shared/rollout-plan.js";
import { deliveryPolicy, Topic } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { FakeVertex } from "../support/fake-vertex.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { rawPushEnvelope } from "../support/push-envelope.js";
import { promotionRequest } from "../support/step-messages.js";

const v1 = "1111111111111111111111111111111111111111";
const v2 = "2222222222222222222222222222222222222222";
const v3 = "3333333333333333333333333333333333333333";
const resource = "projects/local-project/locations/us-central1/models/fraud-detector";

function pubsubEvent(data: Buffer, messageId: string, deliveryAttempt = 1) {
  return rawPushEnvelope(Topic.deploymentRequested, data, { messageId, deliveryAttempt });
}

function setup() {
  const runtime = memoryRuntime();
  const vertex = new FakeVertex();
  const endpoint = vertex.addEndpoint("fraud-detector");
  const handler = pubsubFunction(
    deployModelStep(() => ({ registry: vertex, deployer: vertex })),
    () => runtime,
  );
  const deliver = async (message: DeploymentRequested, messageId = "m-1", attempt = 1) =>
    handler(pubsubEvent(encodeMessage(Topic.deploymentRequested, message).data, messageId, attempt));
  const register = async (commit: string) => {
    await vertex.registerCommit(commit);
  };
  return { runtime, vertex, endpoint, deliver, register };
}

/** Deployed model 42 (version 2), deployed outside modelgate with `split`. */
function deployByHand(vertex: FakeVertex, endpoint: string, split: Record<string, number>) {
  return vertex.deploy(endpoint, {
    deployedModelId: "42",
    modelResource: resource,
    versionId: "2",
    displayName: "by hand",
    machineType: "n1-standard-2",
    minReplicas: 1,
    maxReplicas: 1,
    trafficSplit: split,
  });
}

describe("deployedModelId", () => {
  it("is 10 digits, as Vertex AI requires of a chosen DeployedModel id, and stable", () => {
    const id = deployedModelId("fraud-detector", v1);
    expect(id).toMatch(/^[1-9]\d{9}$/);
    expect(deployedModelId("fraud-detector", v1)).toBe(id);
    expect(deployedModelId("fraud-detector", v2)).not.toBe(id);
    expect(deployedModelId("churn", v1)).not.toBe(id);
  });
});

describe("deployModel step", () => {
  it("deploys a first version with all the traffic and announces it", async () => {
    const { runtime, vertex, endpoint, deliver, register } = setup();
    await register(v1);
    await deliver(promotionRequest(v1));

    const id = deployedModelId("fraud-detector", v1);
    expect(vertex.endpoint(endpoint)).toMatchObject({
      deployedModels: [{ id, modelResource: resource, versionId: "1" }],
      trafficSplit: { [id]: 100 },
    });
    expect(runtime.publisher.on(Topic.deploymentReady)).toEqual([
      expect.objectContaining({
        correlationId: "promote-1111",
        endpoint,
        modelResource: resource,
        versionId: "1",
        deployedModelId: id,
        canaryPercent: 100,
        previousTrafficSplit: {},
        causedBy: [{ source: "pubsub:deployment-requested", id: "m-1" }],
      }),
    ]);
    const [, deploySpec] = vertex.calls.find((c) => c.method === "deploy")?.args ?? [];
    expect(deploySpec).toMatchObject({ machineType: "n1-standard-2", minReplicas: 1, maxReplicas: 2 });
  });

  it("deploys a later version as a canary with the configured share next to the serving one", async () => {
    const { runtime, vertex, endpoint, deliver, register } = setup();
    await register(v1);
    await register(v2);
    await deliver(promotionRequest(v1));
    await deliver(promotionRequest(v2), "m-2");

    const old = deployedModelId("fraud-detector", v1);
    const canary = deployedModelId("fraud-detector", v2);
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [old]: 90, [canary]: 10 });
    expect(runtime.publisher.on(Topic.deploymentReady)[1]).toMatchObject({
      deployedModelId: canary,
      versionId: "2",
      canaryPercent: 10,
      previousTrafficSplit: { [old]: 100 },
      previousDeployedModelId: old,
    });
  });

  it("deploys once however often the request arrives", async () => {
    const { runtime, vertex, deliver, register } = setup();
    await register(v1);
    for (const [id, attempt] of [
      ["m-1", 1],
      ["m-1", 2],
      ["m-2", 1],
    ] as const) {
      await deliver(promotionRequest(v1), id, attempt);
    }
    expect(vertex.count("deploy")).toBe(1);
    expect(runtime.publisher.on(Topic.deploymentReady)).toHaveLength(1);
  });

  it("deploys a version registered from a short SHA when the promotion names the full one", async () => {
    const { runtime, vertex, endpoint, deliver, register } = setup();
    const full = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";
    await register(full.slice(0, 7));
    await deliver(promotionRequest(full));
    expect(vertex.endpoint(endpoint).deployedModels.map((d) => d.versionId)).toEqual(["1"]);
    expect(runtime.publisher.on(Topic.deploymentReady)).toMatchObject([
      { commit: full, deployedModelId: deployedModelId("fraud-detector", full) },
    ]);
  });

  it("deploys the same canary whichever form of the commit a request names", async () => {
    const { vertex, endpoint, deliver, register } = setup();
    const full = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";
    await register(full);
    await deliver(promotionRequest(full.slice(0, 7), { correlationId: "auto" }));
    await deliver(promotionRequest(full, { correlationId: "tag" }), "m-2");
    expect(vertex.endpoint(endpoint).deployedModels.map((d) => d.id)).toEqual([
      deployedModelId("fraud-detector", full),
    ]);
    expect(vertex.count("deploy")).toBe(1);
  });

  it("refuses a short SHA that abbreviates two registered commits", async () => {
    const { runtime, vertex, deliver, register } = setup();
    await register("abcdef1000000000000000000000000000000000");
    await register("abcdef1999999999999999999999999999999999");
    await deliver(promotionRequest("abcdef1"));
    expect(vertex.count("deploy")).toBe(0);
    const ledger = await runtime.ledger.read("fraud-detector", "abcdef1");
    expect(ledger.find((e) => e.action === "step-failed")).toMatchObject({
      error: { message: expect.stringContaining("abcdef1 is ambiguous") },
    });
  });

  it("waits for a version that is not registered yet, then deploys it", async () => {
    const { runtime, vertex, endpoint, deliver, register } = setup();
    await expect(deliver(promotionRequest(v1))).rejects.toMatchObject({ code: "NOT_FOUND", retryable: true });
    await register(v2);
    await expect(deliver(promotionRequest(v1), "m-1", 2)).rejects.toMatchObject({
      code: "NOT_FOUND",
      retryable: true,
    });
    await register(v1);
    await deliver(promotionRequest(v1), "m-1", 3);
    expect(vertex.endpoint(endpoint).deployedModels.map((d) => d.versionId)).toEqual(["2"]);
    expect(runtime.publisher.on(Topic.deploymentReady)).toHaveLength(1);
  });

  it("dead-letters with a ledger record when the version never appears", async () => {
    const { runtime, vertex, deliver } = setup();
    await expect(
      deliver(promotionRequest(v1), "m-1", deliveryPolicy.maxDeliveryAttempts),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(vertex.count("deploy")).toBe(0);
    const ledger = await runtime.ledger.read("fraud-detector", v1);
    expect(ledger.find((e) => e.action === "dead-lettered")).toMatchObject({
      outcome: "failed",
      error: { code: "NOT_FOUND", message: expect.stringContaining("no version of fraud-detector") },
    });
  });

  it("publishes nothing further when the endpoint already serves the version with all the traffic", async () => {
    const { runtime, vertex, deliver, register } = setup();
    await register(v1);
    await deliver(promotionRequest(v1));
    await deliver(promotionRequest(v1, { correlationId: "promote-again", reason: "manual" }), "m-2");
    expect(vertex.count("deploy")).toBe(1);
    expect(runtime.publisher.on(Topic.deploymentReady)).toHaveLength(1);
    const ledger = await runtime.ledger.read("fraud-detector", v1);
    expect(ledger.find((e) => e.action === "already-serving")).toMatchObject({
      outcome: "skipped",
      correlationId: "promote-again",
    });
  });

  it("finishes the job when an attempt died after deploying but before announcing", async () => {
    const { runtime, vertex, endpoint, deliver, register } = setup();
    await register(v1);
    await register(v2);
    await deliver(promotionRequest(v1));
    vertex.crashAfter("deploy");
    await expect(deliver(promotionRequest(v2), "m-2")).rejects.toBeInstanceOf(TransientError);
    expect(runtime.publisher.on(Topic.deploymentReady)).toHaveLength(1);

    await deliver(promotionRequest(v2), "m-2", 2);
    const old = deployedModelId("fraud-detector", v1);
    const canary = deployedModelId("fraud-detector", v2);
    expect(vertex.count("deploy")).toBe(2);
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ [old]: 90, [canary]: 10 });
    // The split to restore is the one from before the canary, not the endpoint's split now.
    expect(runtime.publisher.on(Topic.deploymentReady)[1]).toMatchObject({
      deployedModelId: canary,
      previousTrafficSplit: { [old]: 100 },
      canaryPercent: 10,
    });
    expect((await runtime.ledger.read("fraud-detector", v2)).some((e) => e.action === "canary-resumed")).toBe(
      true,
    );
  });

  it("leaves another request's canary of the same commit alone", async () => {
    const { runtime, vertex, deliver, register } = setup();
    await register(v1);
    await register(v2);
    await deliver(promotionRequest(v1));
    await deliver(promotionRequest(v2, { correlationId: "auto" }), "m-2");
    await deliver(promotionRequest(v2, { correlationId: "tag" }), "m-3");
    expect(vertex.count("deploy")).toBe(2);
    expect(runtime.publisher.on(Topic.deploymentReady)).toHaveLength(2);
    const ledger = await runtime.ledger.read("fraud-detector", v2);
    expect(ledger.find((e) => e.action === "canary-in-progress")).toMatchObject({
      correlationId: "tag",
      details: { plannedBy: "auto" },
    });
  });

  it("plans a release-repair of a split changed by hand as the last step of a rollout from the split as found", async () => {
    const { runtime, vertex, endpoint, deliver, register } = setup();
    await register(v1);
    await register(v2);
    await deliver(promotionRequest(v1));
    const declared = deployedModelId("fraud-detector", v1);
    await deployByHand(vertex, endpoint, { [declared]: 60, "42": 40 });
    const release = { declaredBy: "d".repeat(40) };
    const repair = promotionRequest(v1, { correlationId: "repair-1", reason: "release-repair", release });
    await deliver(repair, "m-2");
    await deliver(repair, "m-3");
    // Nothing deployed or routed: verify → rollout restore 100 % and the alias, or roll back from this split.
    expect(vertex.count("deploy")).toBe(2);
    expect(vertex.count("setTrafficSplit")).toBe(0);
    const ready = runtime.publisher.on(Topic.deploymentReady);
    expect(ready).toHaveLength(2);
    expect(ready[1]).toMatchObject({
      correlationId: "repair-1",
      deployedModelId: declared,
      versionId: "1",
      canaryPercent: 60,
      previousTrafficSplit: { [declared]: 60, "42": 40 },
      rolloutStep: rolloutSteps(modelConfig(runtime.config, "fraud-detector")).length - 1,
      release,
    });
    const ledger = await runtime.ledger.read("fraud-detector", v1);
    expect(ledger.filter((e) => e.action === "repair-planned")).toHaveLength(1);
  });

  it("plans a release-repair of a moved alias with the declared version at 100 %", async () => {
    const { runtime, deliver, register } = setup();
    await register(v1);
    await deliver(promotionRequest(v1));
    await deliver(promotionRequest(v1, { correlationId: "repair-2", reason: "release-repair" }), "m-2");
    const declared = deployedModelId("fraud-detector", v1);
    expect(runtime.publisher.on(Topic.deploymentReady)[1]).toMatchObject({
      correlationId: "repair-2",
      deployedModelId: declared,
      canaryPercent: 100,
      previousTrafficSplit: { [declared]: 100 },
    });
  });

  it("routes a declared version left with no traffic its repair's canary share first", async () => {
    const { runtime, vertex, endpoint, deliver, register } = setup();
    await register(v1);
    await register(v2);
    await deliver(promotionRequest(v1));
    const declared = deployedModelId("fraud-detector", v1);
    await deployByHand(vertex, endpoint, { [declared]: 0, "42": 100 });
    await deliver(
      promotionRequest(v1, { correlationId: "repair-3", reason: "release-repair", canaryPercent: 20 }),
      "m-2",
    );
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({ "42": 80, [declared]: 20 });
    expect(runtime.publisher.on(Topic.deploymentReady)[1]).toMatchObject({
      deployedModelId: declared,
      canaryPercent: 20,
      previousTrafficSplit: { "42": 100 },
      rolloutStep: 0,
    });
  });

  it("keeps the previous split to restore in the bucket", async () => {
    const { runtime, deliver, register } = setup();
    await register(v1);
    await register(v2);
    await deliver(promotionRequest(v1));
    await deliver(promotionRequest(v2), "m-2");
    const plan = await runtime.blobs.read(canaryPlanPath("fraud-detector", v2));
    expect(JSON.parse(String(plan?.data))).toMatchObject({
      correlationId: "promote-2222",
      previousTrafficSplit: { [deployedModelId("fraud-detector", v1)]: 100 },
    });
  });

  it("splits the canary's share off a split between several serving models", async () => {
    const { vertex, endpoint, deliver, register } = setup();
    await register(v1);
    await register(v2);
    await register(v3);
    await deliver(promotionRequest(v1));
    await vertex.deploy(endpoint, {
      deployedModelId: "42",
      modelResource: resource,
      versionId: "2",
      displayName: "manual",
      machineType: "n1-standard-2",
      minReplicas: 1,
      maxReplicas: 1,
      trafficSplit: { [deployedModelId("fraud-detector", v1)]: 70, "42": 30 },
    });
    await deliver(promotionRequest(v3), "m-3");
    expect(vertex.endpoint(endpoint).trafficSplit).toEqual({
      [deployedModelId("fraud-detector", v1)]: 63,
      "42": 27,
      [deployedModelId("fraud-detector", v3)]: 10,
    });
  });

  it("retries UNAVAILABLE and records INVALID_ARGUMENT from DeployModel without retrying", async () => {
    const { runtime, vertex, deliver, register } = setup();
    await register(v1);
    vertex.failNext("deploy", new TransientError("DeployModel failed: 14 UNAVAILABLE"));
    await expect(deliver(promotionRequest(v1))).rejects.toBeInstanceOf(TransientError);
    await deliver(promotionRequest(v1), "m-1", 2);
    expect(runtime.publisher.on(Topic.deploymentReady)).toHaveLength(1);

    await register(v2);
    vertex.failNext("deploy", new UpstreamError("DeployModel failed: 3 INVALID_ARGUMENT: machine type"));
    await deliver(promotionRequest(v2), "m-2");
    await deliver(promotionRequest(v2), "m-2", 2);
    expect(vertex.count("deploy")).toBe(3);
    const failed = (await runtime.ledger.read("fraud-detector", v2)).filter((e) => e.outcome === "failed");
    expect(failed.map((e) => e.action).sort()).toEqual(["model-deployed", "step-failed"]);
  });

  it("records a missing endpoint as permanent: it is configuration, not something that may appear", async () => {
    const runtime = memoryRuntime();
    const vertex = new FakeVertex();
    await vertex.uploadVersion({
      displayName: "fraud-detector",
      artifactUri: "gs://modelgate-artifacts/x/",
      servingContainer: { imageUri: "serving" },
      labels: { [Label.model]: "fraud-detector", [Label.commit]: v1 },
      aliases: [],
    });
    const handler = pubsubFunction(
      deployModelStep(() => ({ registry: vertex, deployer: vertex })),
      () => runtime,
    );
    await handler(pubsubEvent(encodeMessage(Topic.deploymentRequested, promotionRequest(v1)).data, "m-1"));
    const failed = (await runtime.ledger.read("fraud-detector", v1)).find((e) => e.action === "step-failed");
    expect(failed?.error).toMatchObject({ code: "NOT_FOUND", retryable: false });
  });
});
