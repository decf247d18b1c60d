import { PubSub, type v1 } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { deployModelStep } from "../../functions/deploy-model/step.js";
import { launchTrainingStep } from "../../functions/launch-training/step.js";
import { registerModelStep } from "../../functions/register-model/step.js";
import { rolloutModelStep } from "../../functions/rollout-model/step.js";
import { loadConfig } from "../../shared/config.js";
import type {
  DeploymentReady,
  DeploymentRequested,
  MessageOf,
  VerificationCompleted,
} from "../../shared/contracts.js";
import { TransientError } from "../../shared/errors.js";
import { createLogger } from "../../shared/logger.js";
import { Label } from "../../shared/model-ports.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { pubsubClientOptions, type Runtime } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { deliveryPolicy, FunctionName, Topic, type TopicName } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexTrainingLauncher } from "../../shared/vertex/jobs-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { drainSubscription } from "../support/drain-subscription.js";
import { eventually } from "../support/eventually.js";
import { withoutRolloutSteps } from "../support/example-config.js";
import { fraudDetectorEndpoint } from "../support/fraud-detector-resources.js";
import { type ServedFunction, send, serveFunction } from "../support/ingress-http.js";
import { startLocalServers, type TestServers } from "../support/local-servers.js";
import { pushEnvelope } from "../support/push-envelope.js";
import { subscriberClientFor } from "../support/subscriber-client.js";

const model = "fraud-detector";
const commitA = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const commitB = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
const idA = deployedModelId(model, commitA);
const idB = deployedModelId(model, commitB);
const endpoint = fraudDetectorEndpoint;
const modelResource = "projects/local-project/locations/us-central1/models/fraud-detector";

let servers: TestServers;
let runtime: Runtime;
let launcher: VertexTrainingLauncher;
let registry: VertexModelRegistry;
let deployer: VertexEndpointDeployer;
let pubsub: PubSub;
let subscriber: v1.SubscriberClient;
let served: ServedFunction;
/** The deployment-ready announced for B's canary, which the rollout test answers. */
let canaryOfB: DeploymentReady | undefined;

/** Everything waiting on a topic's trigger subscription, acknowledged. */
function drain<T extends TopicName>(topic: T): Promise<MessageOf<T>[]> {
  return drainSubscription(subscriber, topic);
}

function envelope(commit: string, correlationId: string) {
  return {
    schemaVersion: 1 as const,
    correlationId,
    model,
    commit,
    repository: "acme/fraud-detector",
    causedBy: [{ source: "github", id: `event-${correlationId}` }],
    createdAt: new Date().toISOString(),
  };
}

function promotion(commit: string, correlationId: string): DeploymentRequested {
  return {
    ...envelope(commit, correlationId),
    reason: "promotion-tag",
    tag: `promote/${model}/${commit.slice(0, 7)}`,
  };
}

function verdict(ready: DeploymentReady, outcome: "pass" | "fail"): VerificationCompleted {
  return {
    ...ready,
    causedBy: [{ source: "pubsub:deployment-ready", id: `verify-${ready.correlationId}` }],
    verdict: outcome,
    reasons: outcome === "pass" ? [] : ["accuracy 0.70 is below the minimum 0.85"],
    metrics: { accuracy: outcome === "pass" ? 0.94 : 0.7 },
    reportUri: `gs://modelgate-artifacts/reports/${model}/${ready.commit}/report.json`,
  };
}

function okCalls(method: string): number {
  return servers.vertex.requestLog.filter((entry) => entry.method === method && entry.code === 0).length;
}

const deploy = () =>
  pubsubFunction(
    deployModelStep(() => ({ registry, deployer })),
    () => runtime,
  );
const rollout = () =>
  pubsubFunction(
    rolloutModelStep(() => ({ registry, deployer })),
    () => runtime,
  );
const register = (commit: string) =>
  pubsubFunction(
    registerModelStep(() => ({ registry })),
    () => runtime,
  )(
    pushEnvelope(
      Topic.artifactReady,
      {
        ...envelope(commit, `train-${commit.slice(0, 4)}`),
        artifactUri: `gs://modelgate-artifacts/models/${model}/${commit}/`,
      },
      { messageId: `a-${commit.slice(0, 4)}` },
    ),
  );

/** Trains a commit through launchTraining and the local trainer process; resolves when the job has ended. */
async function train(commit: string): Promise<void> {
  const handler = pubsubFunction(
    launchTrainingStep(() => ({ launcher })),
    () => runtime,
  );
  await handler(
    pushEnvelope(
      Topic.trainingRequested,
      { ...envelope(commit, `train-${commit.slice(0, 4)}`), trigger: "github-push" },
      { messageId: `t-${commit.slice(0, 4)}` },
    ),
  );
  let state = "no job yet";
  await eventually(
    `the training job of ${commit} to succeed`,
    async () => {
      const [job] = await launcher.findJobs({ [Label.commit]: commit });
      state = job?.state ?? state;
      if (job?.state === "JOB_STATE_FAILED")
        throw new Error(`training ${commit} failed: ${JSON.stringify(job.raw)}`);
      return job?.state === "JOB_STATE_SUCCEEDED" ? job : undefined;
    },
    { timeoutMs: 25_000, intervalMs: 100, detail: () => state },
  );
}

beforeAll(async () => {
  vi.stubEnv("METADATA_SERVER_DETECTION", "none");
  // The single canary's point gates; the rollout in steps is e2e-rollout-steps.test.ts.
  servers = await startLocalServers({ config: withoutRolloutSteps(loadConfig({})) });
  runtime = { ...servers.runtime(), logger: createLogger({}, () => {}) };
  const location = {
    endpoint: loadSettings(servers.env).vertexEndpoint,
    region: "us-central1",
    parent: "projects/local-project/locations/us-central1",
  };
  launcher = new VertexTrainingLauncher(location);
  registry = new VertexModelRegistry(location);
  deployer = new VertexEndpointDeployer(location);
  pubsub = new PubSub(pubsubClientOptions(loadSettings(servers.env), "local-project"));
  subscriber = await subscriberClientFor(pubsub);
  await Promise.all([train(commitA), train(commitB)]);
  await register(commitA);
  await drain(Topic.deploymentRequested);

  // deployModel as the platform runs it: its index.ts registered with the Functions Framework, on sharedRuntime.
  for (const [name, value] of Object.entries(servers.env)) vi.stubEnv(name, value);
  await import("../../functions/deploy-model/index.js");
  served = await serveFunction(FunctionName.deployModel);
});

afterAll(async () => {
  await served?.close();
  await Promise.allSettled([launcher, registry, deployer, subscriber, pubsub].map((c) => c?.close()));
  await servers?.close();
  vi.unstubAllEnvs();
});

/** The HTTP body of a deployment-requested push, per delivery attempt. */
function pushBody(message: DeploymentRequested, messageId: string): (attempt: number) => string {
  return (attempt) =>
    JSON.stringify(pushEnvelope(Topic.deploymentRequested, message, { messageId, deliveryAttempt: attempt }));
}

describe("deployModel and rolloutModel against the local Vertex AI", () => {
  it("writes the last-attempt ledger record for the real push envelope", async () => {
    // A promotion of a commit that is never registered keeps failing retryably; on the subscription's last delivery
    // the record must be written before Pub/Sub dead-letters the message. The request is what the trigger
    // subscription in infra/modules/modelgate/pubsub.tf sends: Pub/Sub's push JSON, deliveryAttempt included. (Until
    // this path changed, the subscription pushed to <uri>/projects/P/topics/T and the function was a CloudEvent
    // function: the framework's conversion dropped deliveryAttempt, and this record was never written.)
    const commit = "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4";
    const url = served.url;
    const body = pushBody(promotion(commit, "promote-d"), "d-9");
    const headers = { "content-type": "application/json" };
    const deadLettered = async () =>
      (await runtime.ledger.read(model, commit)).filter((e) => e.action === "dead-lettered");

    expect((await send(url, { headers, body: body(deliveryPolicy.maxDeliveryAttempts - 1) })).status).toBe(
      500,
    );
    expect(await deadLettered()).toEqual([]);
    expect((await send(url, { headers, body: body(deliveryPolicy.maxDeliveryAttempts) })).status).toBe(500);
    expect(await deadLettered()).toEqual([
      expect.objectContaining({
        step: FunctionName.deployModel,
        outcome: "failed",
        correlationId: "promote-d",
      }),
    ]);
  });

  it.each([
    [
      "a body that is not JSON",
      "text/plain",
      "hello",
      /not a Pub\/Sub push envelope: the body is not a JSON object/,
    ],
    [
      "an envelope without a message id",
      "application/json",
      JSON.stringify({ message: {}, subscription: "s" }),
      /message: a message needs messageId/,
    ],
    [
      "an envelope without a subscription",
      "application/json",
      JSON.stringify({ message: { messageId: "1" } }),
      /subscription: /,
    ],
    [
      "data that is not base64",
      "application/json",
      JSON.stringify({ message: { messageId: "1", data: "%%" }, subscription: "s" }),
      /message\.data: /,
    ],
  ])(
    "answers 400 naming the problem for %s, and records nothing",
    async (_name, contentType, body, reason) => {
      const before = await runtime.ledger.read("_unattributed");
      const response = await fetch(served.url, {
        method: "POST",
        headers: { "content-type": contentType },
        body,
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(reason);
      expect(await runtime.ledger.read("_unattributed")).toEqual(before);
    },
  );

  it("acknowledges (204) and records a well-formed push whose message fails its contract", async () => {
    const before = (await runtime.ledger.read("_unattributed")).length;
    const data = Buffer.from(JSON.stringify({ model, commit: "not-a-commit" })).toString("base64");
    const response = await fetch(served.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: { data, messageId: "d-bad" }, subscription: "s", deliveryAttempt: 1 }),
    });
    expect(response.status).toBe(204);
    const after = await runtime.ledger.read("_unattributed");
    expect(after.slice(before).map((e) => [e.action, e.step])).toEqual([
      ["message-rejected", FunctionName.deployModel],
    ]);
  });

  it("answers 405 to anything but POST", async () => {
    const response = await fetch(served.url, { method: "GET" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("deploys the first version once for a request delivered three times, after an UNAVAILABLE", async () => {
    const handler = deploy();
    servers.vertex.faults.failNext("DeployModel", 1, "UNAVAILABLE");
    const request = promotion(commitA, "promote-a");
    await expect(
      handler(pushEnvelope(Topic.deploymentRequested, request, { messageId: "d-1" })),
    ).rejects.toBeInstanceOf(TransientError);
    await handler(pushEnvelope(Topic.deploymentRequested, request, { messageId: "d-1", deliveryAttempt: 2 }));
    await handler(pushEnvelope(Topic.deploymentRequested, request, { messageId: "d-1", deliveryAttempt: 3 }));
    await handler(pushEnvelope(Topic.deploymentRequested, request, { messageId: "d-2" }));

    expect(okCalls("DeployModel")).toBe(1);
    const state = await deployer.getEndpoint(endpoint);
    expect(state.deployedModels).toEqual([
      expect.objectContaining({ id: idA, modelResource, versionId: "1" }),
    ]);
    expect(state.trafficSplit).toEqual({ [idA]: 100 });
    expect(await drain(Topic.deploymentReady)).toEqual([
      expect.objectContaining({ deployedModelId: idA, canaryPercent: 100, previousTrafficSplit: {} }),
    ]);
    const deployed = (await runtime.ledger.read(model, commitA)).find(
      (e) => e.action === "model-deployed" && e.outcome === "succeeded",
    );
    expect(deployed?.details?.response).toMatchObject({
      operation: expect.stringContaining("/operations/"),
      response: { deployedModel: { id: idA, modelVersionId: "1" } },
    });
  });

  it("keeps a promotion that precedes its registration waiting, then deploys it as a 10% canary", async () => {
    const body = pushBody(promotion(commitB, "promote-b"), "d-3");
    const headers = { "content-type": "application/json" };
    // Not registered yet: a retryable error, so the function answers 500 and Pub/Sub redelivers with backoff.
    expect((await send(served.url, { headers, body: body(1) })).status).toBe(500);
    await register(commitB);
    expect((await send(served.url, { headers, body: body(2) })).status).toBeLessThan(300);

    const state = await deployer.getEndpoint(endpoint);
    expect(state.trafficSplit).toEqual({ [idA]: 90, [idB]: 10 });
    const ready = (await drain(Topic.deploymentReady)).filter((m) => m.commit === commitB);
    expect(ready).toEqual([
      expect.objectContaining({
        deployedModelId: idB,
        versionId: "2",
        canaryPercent: 10,
        previousTrafficSplit: { [idA]: 100 },
        previousDeployedModelId: idA,
      }),
    ]);
    canaryOfB = ready[0];
    const waited = (await runtime.ledger.read(model, commitB)).find(
      (e) => e.action === "model-versions-listed",
    );
    expect(waited).toMatchObject({ outcome: "succeeded", details: { response: [] } });
  });

  it("finishes a passed rollout that was interrupted between moving traffic and undeploying", async () => {
    const ready = canaryOfB;
    if (!ready) throw new Error("the canary of B was not announced");
    const handler = rollout();
    servers.vertex.faults.failNext("UndeployModel", 1, "UNAVAILABLE");
    await expect(
      handler(pushEnvelope(Topic.verificationCompleted, verdict(ready, "pass"), { messageId: "v-1" })),
    ).rejects.toBeInstanceOf(TransientError);
    const halfway = await deployer.getEndpoint(endpoint);
    expect(halfway.trafficSplit).toEqual({ [idB]: 100 });
    expect(halfway.deployedModels.map((d) => d.id).sort()).toEqual([idA, idB].sort());

    await handler(
      pushEnvelope(Topic.verificationCompleted, verdict(ready, "pass"), {
        messageId: "v-1",
        deliveryAttempt: 2,
      }),
    );
    await handler(
      pushEnvelope(Topic.verificationCompleted, verdict(ready, "pass"), {
        messageId: "v-1",
        deliveryAttempt: 3,
      }),
    );
    const done = await deployer.getEndpoint(endpoint);
    expect(done.deployedModels.map((d) => d.id)).toEqual([idB]);
    expect(done.trafficSplit).toEqual({ [idB]: 100 });
    expect(okCalls("UpdateEndpoint")).toBe(1);
    expect(okCalls("MergeVersionAliases")).toBe(1);
    const b = await registry.getVersion(modelResource, "2");
    expect(b.aliases).toContain("production");
    expect(b.labels[Label.verdict]).toBe("passed");
    expect((await registry.getVersion(modelResource, "production")).versionId).toBe("2");
  });

  it("rolls a failed canary back to exactly the split before it and labels the version failed", async () => {
    // Promoting the older commit again puts it on the endpoint as a canary next to the serving B.
    await deploy()(
      pushEnvelope(Topic.deploymentRequested, promotion(commitA, "promote-a-again"), { messageId: "d-4" }),
    );
    expect((await deployer.getEndpoint(endpoint)).trafficSplit).toEqual({ [idB]: 90, [idA]: 10 });
    const [ready] = (await drain(Topic.deploymentReady)).filter((m) => m.correlationId === "promote-a-again");
    if (!ready) throw new Error("no deployment-ready for the second promotion of A");
    expect(ready.previousTrafficSplit).toEqual({ [idB]: 100 });

    await rollout()(pushEnvelope(Topic.verificationCompleted, verdict(ready, "fail"), { messageId: "v-2" }));
    const state = await deployer.getEndpoint(endpoint);
    expect(state.trafficSplit).toEqual({ [idB]: 100 });
    expect(state.deployedModels.map((d) => d.id)).toEqual([idB]);
    expect((await registry.getVersion(modelResource, "1")).labels[Label.verdict]).toBe("failed");
    expect((await registry.getVersion(modelResource, "production")).versionId).toBe("2");
    const completed = (await runtime.ledger.read(model, commitA)).find(
      (e) => e.action === "rollback-completed",
    );
    expect(completed).toMatchObject({
      correlationId: "promote-a-again",
      details: { trafficSplit: { [idB]: 100 } },
    });
  });

  it("records an INVALID_ARGUMENT from Vertex AI and does not retry it", async () => {
    await deploy()(
      pushEnvelope(Topic.deploymentRequested, promotion(commitA, "promote-a-third"), { messageId: "d-5" }),
    );
    const [ready] = (await drain(Topic.deploymentReady)).filter((m) => m.correlationId === "promote-a-third");
    if (!ready) throw new Error("no deployment-ready for the third promotion of A");
    // The model that served before was removed by hand meanwhile: restoring its split is refused.
    const stale = verdict({ ...ready, previousTrafficSplit: { "1234567890": 100 } }, "fail");
    const before = servers.vertex.requestLog.filter((e) => e.method === "UpdateEndpoint").length;
    await rollout()(pushEnvelope(Topic.verificationCompleted, stale, { messageId: "v-3" }));
    await rollout()(
      pushEnvelope(Topic.verificationCompleted, stale, { messageId: "v-3", deliveryAttempt: 2 }),
    );

    const updates = servers.vertex.requestLog.filter((e) => e.method === "UpdateEndpoint").slice(before);
    expect(updates.map((e) => e.code)).toEqual([3]);
    const failures = (await runtime.ledger.read(model, commitA)).filter(
      (e) => e.correlationId === "promote-a-third" && e.outcome === "failed",
    );
    expect(failures.map((e) => e.action).sort()).toEqual(["step-failed", "traffic-restored"]);
    expect(failures.find((e) => e.action === "traffic-restored")?.error).toMatchObject({
      code: "UPSTREAM",
      details: { grpcCode: 3 },
    });
    // Nothing was changed: the canary still has its share until an operator decides.
    expect((await deployer.getEndpoint(endpoint)).trafficSplit).toEqual({ [idB]: 90, [idA]: 10 });
  });
});
