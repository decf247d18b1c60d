import { PubSub, type v1 } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../../cli/main.js";
import { launchTrainingStep } from "../../functions/launch-training/step.js";
import { registerModelStep } from "../../functions/register-model/step.js";
import type { ArtifactReady, MessageOf, TrainingRequested } from "../../shared/contracts.js";
import { TransientError } from "../../shared/errors.js";
import { createLogger } from "../../shared/logger.js";
import { manifestPath } from "../../shared/manifest.js";
import { Label } from "../../shared/model-ports.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { readRegistryIndex, registrationPath } from "../../shared/registry-index.js";
import type { Runtime } from "../../shared/runtime.js";
import { pubsubClientOptions } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { Topic, type TopicName } from "../../shared/topology.js";
import { VertexTrainingLauncher } from "../../shared/vertex/jobs-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { artifactNotice } from "../support/artifact-notice.js";
import { drainSubscription } from "../support/drain-subscription.js";
import { eventually } from "../support/eventually.js";
import { startLocalServers, type TestServers } from "../support/local-servers.js";
import { pushEnvelope } from "../support/push-envelope.js";
import { trainingRequest } from "../support/step-messages.js";
import { subscriberClientFor } from "../support/subscriber-client.js";

const model = "fraud-detector";
const commitA = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const commitB = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
const commitC = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";

let servers: TestServers;
let runtime: Runtime;
const logLines: Array<Record<string, unknown>> = [];
let launcher: VertexTrainingLauncher;
let registry: VertexModelRegistry;
let pubsub: PubSub;
let subscriber: v1.SubscriberClient;

beforeAll(async () => {
  vi.stubEnv("METADATA_SERVER_DETECTION", "none");
  servers = await startLocalServers();
  // Log lines are kept, not printed: the tests read them to check what each call left in the log.
  runtime = { ...servers.runtime(), logger: createLogger({}, (line) => logLines.push(JSON.parse(line))) };
  const location = {
    endpoint: loadSettings(servers.env).vertexEndpoint,
    region: runtime.config.region,
    parent: `projects/${runtime.config.project}/locations/${runtime.config.region}`,
  };
  launcher = new VertexTrainingLauncher(location);
  registry = new VertexModelRegistry(location);
  pubsub = new PubSub(pubsubClientOptions(loadSettings(servers.env), runtime.config.project));
  subscriber = await subscriberClientFor(pubsub);
});

afterAll(async () => {
  await Promise.allSettled([launcher?.close(), registry?.close(), subscriber?.close(), pubsub?.close()]);
  await servers?.close();
  vi.unstubAllEnvs();
});

/** Everything waiting on a topic's trigger subscription, acknowledged. */
function drain<T extends TopicName>(topic: T): Promise<MessageOf<T>[]> {
  return drainSubscription(subscriber, topic);
}

function trainingRequested(commit: string): TrainingRequested {
  return trainingRequest(commit, {
    correlationId: `push-${commit.slice(0, 6)}`,
    createdAt: new Date().toISOString(),
  });
}

function artifactReady(commit: string): ArtifactReady {
  return artifactNotice(commit, {
    correlationId: `push-${commit.slice(0, 6)}`,
    causedBy: [{ source: "gcs", id: `modelgate-artifacts/${manifestPath(model, commit)}` }],
    createdAt: new Date().toISOString(),
  });
}

function calls(method: string): number {
  return servers.vertex.requestLog.filter((entry) => entry.method === method && entry.code === 0).length;
}

/** Waits for the job of a commit to end (the local server runs the example trainer as a process). */
async function trainingOutcome(commit: string): Promise<string> {
  let state = "no job yet";
  return eventually(
    `the training job of ${commit} to end`,
    async () => {
      const [job] = await launcher.findJobs({ [Label.model]: model, [Label.commit]: commit });
      state = job?.state ?? state;
      return job && ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"].includes(job.state)
        ? job.state
        : undefined;
    },
    { timeoutMs: 25_000, intervalMs: 100, detail: () => state },
  );
}

const launch = () =>
  pubsubFunction(
    launchTrainingStep(() => ({ launcher })),
    () => runtime,
  );
const register = () =>
  pubsubFunction(
    registerModelStep(() => ({ registry })),
    () => runtime,
  );

/** The first delivery is rejected as retryable (Pub/Sub redelivers it); the redelivery, attempt 2, is handled. */
async function failThenRedeliver<T extends TopicName>(
  handler: (envelope: unknown) => Promise<void>,
  topic: T,
  message: MessageOf<T>,
  messageId: string,
) {
  await expect(handler(pushEnvelope(topic, message, { messageId }))).rejects.toBeInstanceOf(TransientError);
  await handler(pushEnvelope(topic, message, { messageId, deliveryAttempt: 2 }));
}

/** Delivers one message three times: as `<prefix>-1`, its redelivery (attempt 2), and again as `<prefix>-2`. */
async function deliverThrice<T extends TopicName>(
  handler: (envelope: unknown) => Promise<void>,
  topic: T,
  message: MessageOf<T>,
  prefix: string,
) {
  await handler(pushEnvelope(topic, message, { messageId: `${prefix}-1` }));
  await handler(pushEnvelope(topic, message, { messageId: `${prefix}-1`, deliveryAttempt: 2 }));
  await handler(pushEnvelope(topic, message, { messageId: `${prefix}-2` }));
}

describe("launchTraining against the local Vertex AI", () => {
  it("creates one CustomJob for a message delivered three times, which trains the model for real", async () => {
    const handler = launch();
    const message = trainingRequested(commitA);
    await deliverThrice(handler, Topic.trainingRequested, message, "t");

    expect(calls("CreateCustomJob")).toBe(1);
    const jobs = await launcher.findJobs({ [Label.model]: model, [Label.commit]: commitA });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.raw).toMatchObject({
      displayName: "modelgate-fraud-detector-a1a1a1a1a1a1",
      labels: { [Label.correlationId]: "push-a1a1a1", [Label.repository]: "acme_fraud-detector" },
      jobSpec: {
        baseOutputDirectory: { outputUriPrefix: `gs://modelgate-artifacts/models/${model}/${commitA}/` },
        serviceAccount: "mg-trainer@local-project.iam.gserviceaccount.com",
      },
    });
    const created = (await runtime.ledger.read(model, commitA)).find(
      (e) => e.action === "custom-job-created",
    );
    expect(created).toMatchObject({
      outcome: "succeeded",
      correlationId: "push-a1a1a1",
      details: { response: { name: jobs[0]?.name, state: "JOB_STATE_PENDING", jobSpec: expect.any(Object) } },
    });

    expect(logLines.find((l) => l.message === "custom-job-created succeeded")).toMatchObject({
      correlationId: "push-a1a1a1",
      response: { name: jobs[0]?.name },
    });

    expect(await trainingOutcome(commitA)).toBe("JOB_STATE_SUCCEEDED");
    expect(await runtime.blobs.read(manifestPath(model, commitA))).not.toBeNull();
  });

  it("retries an UNAVAILABLE CreateCustomJob and creates the job on redelivery", async () => {
    const handler = launch();
    servers.vertex.faults.failNext("CreateCustomJob", 1, "UNAVAILABLE");
    const message = trainingRequested(commitB);
    await failThenRedeliver(handler, Topic.trainingRequested, message, "t-3");
    expect(await launcher.findJobs({ [Label.commit]: commitB })).toHaveLength(1);
    const failed = (await runtime.ledger.read(model, commitB)).find(
      (e) => e.action === "custom-job-created" && e.outcome === "failed",
    );
    expect(failed?.error).toMatchObject({ code: "TRANSIENT", details: { grpcCode: 14 } });
    expect(await trainingOutcome(commitB)).toBe("JOB_STATE_SUCCEEDED");
  });

  it("records an INVALID_ARGUMENT and does not retry it", async () => {
    // A region the Vertex AI endpoint does not serve: every request is refused as INVALID_ARGUMENT.
    const misconfigured: Runtime = { ...runtime, config: { ...runtime.config, region: "europe-west4" } };
    const wrongRegion = new VertexTrainingLauncher({
      endpoint: loadSettings(servers.env).vertexEndpoint,
      region: "europe-west4",
      parent: "projects/local-project/locations/europe-west4",
    });
    const handler = pubsubFunction(
      launchTrainingStep(() => ({ launcher: wrongRegion })),
      () => misconfigured,
    );
    const before = servers.vertex.requestLog.length;
    const message = trainingRequested(commitC);
    await handler(pushEnvelope(Topic.trainingRequested, message, { messageId: "t-4" }));
    await handler(pushEnvelope(Topic.trainingRequested, message, { messageId: "t-4", deliveryAttempt: 2 }));
    await wrongRegion.close();

    const refused = servers.vertex.requestLog.slice(before);
    expect(refused.map((entry) => [entry.method, entry.code])).toEqual([["ListCustomJobs", 3]]);
    const ledger = await runtime.ledger.read(model, commitC);
    expect(ledger.map((e) => `${e.action}:${e.outcome}`).sort()).toEqual([
      "custom-jobs-listed:failed",
      "step-failed:failed",
    ]);
    expect(ledger.find((e) => e.action === "step-failed")?.error).toMatchObject({
      code: "UPSTREAM",
      details: { grpcCode: 3 },
    });
  });
});

describe("retraining a commit whose training failed", () => {
  it("trains it again only through `modelgate retrain`, which records who asked", async () => {
    const commitD = "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4";
    const identity = { [Label.model]: model, [Label.commit]: commitD };
    servers.vertex.faults.failJob({ labels: identity }, "Injected failure: the VM was preempted.");
    const handler = launch();
    await handler(pushEnvelope(Topic.trainingRequested, trainingRequested(commitD), { messageId: "d-1" }));
    expect(await trainingOutcome(commitD)).toBe("JOB_STATE_FAILED");
    // The same push again is a repeat of a handled request: no new job.
    await handler(pushEnvelope(Topic.trainingRequested, trainingRequested(commitD), { messageId: "d-2" }));
    expect(await launcher.findJobs(identity)).toHaveLength(1);

    const out: string[] = [];
    const io = {
      out: (text: string) => out.push(text),
      err: (text: string) => out.push(text),
      env: { ...servers.env, MODELGATE_STATE_DIR: "/nonexistent" },
    };
    const argv = ["retrain", model, "--commit", commitD, "--as", "alice", "--reason", "preempted"];
    expect(await runCli(argv, io)).toBe(0);
    expect(out.join("")).toContain(`retrain 1 of ${model}@${commitD} requested by alice`);
    const [request] = await drain(Topic.trainingRequested);
    expect(request).toMatchObject({ commit: commitD, retrain: 1, requestedBy: "alice", trigger: "manual" });
    if (!request) throw new Error("expected the retrain's training request");

    await handler(pushEnvelope(Topic.trainingRequested, request, { messageId: "d-3" }));
    expect(await launcher.findJobs(identity)).toHaveLength(2);
    expect(await trainingOutcome(commitD)).toBe("JOB_STATE_SUCCEEDED");
    const ledger = await runtime.ledger.read(model, commitD);
    expect(ledger.find((e) => e.action === "retrain-requested")).toMatchObject({
      step: "modelgate retrain",
      correlationId: request.correlationId,
      details: { requestedBy: "alice", retrain: 1, reason: "preempted" },
    });

    // A second retrain is attempt 2: a new request again.
    expect(await runCli(["retrain", model, "--commit", commitD, "--as", "bob"], io)).toBe(0);
    expect((await drain(Topic.trainingRequested)).map((m) => m.retrain)).toEqual([2]);
  });
});

describe("registerModel against the local Vertex AI and Cloud Storage", () => {
  it("registers the trained model once for a message delivered three times, and requests its deployment", async () => {
    await drain(Topic.deploymentRequested);
    const handler = register();
    const message = artifactReady(commitA);
    await deliverThrice(handler, Topic.artifactReady, message, "a");

    expect(calls("UploadModel")).toBe(1);
    const parent = await registry.findParentModel(model);
    expect(parent).toEqual({
      modelResource: "projects/local-project/locations/us-central1/models/fraud-detector",
    });
    const versions = await registry.findVersions(parent?.modelResource ?? "", {});
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({
      versionId: "1",
      aliases: expect.arrayContaining(["default", "commit-a1a1a1a1a1a1"]),
      artifactUri: `gs://modelgate-artifacts/models/${model}/${commitA}/model/`,
      labels: { [Label.commit]: commitA, [Label.correlationId]: "push-a1a1a1" },
    });

    const record = await runtime.blobs.read(registrationPath(model, commitA));
    expect(JSON.parse(String(record?.data))).toMatchObject({ versionId: "1", commit: commitA });
    const uploaded = (await runtime.ledger.read(model, commitA)).find(
      (e) => e.action === "model-version-uploaded",
    );
    expect(uploaded?.details?.response).toMatchObject({
      response: { model: parent?.modelResource, modelVersionId: "1" },
      version: {
        versionId: "1",
        containerSpec: { imageUri: expect.stringContaining("fraud-detector-serving") },
      },
    });
    expect(await drain(Topic.deploymentRequested)).toEqual([
      expect.objectContaining({ commit: commitA, reason: "auto-deploy", correlationId: "push-a1a1a1" }),
    ]);
  });

  it("retries an UNAVAILABLE UploadModel, then adds the next commit as version 2 and indexes both", async () => {
    const handler = register();
    servers.vertex.faults.failNext("UploadModel", 1, "UNAVAILABLE");
    const message = artifactReady(commitB);
    await failThenRedeliver(handler, Topic.artifactReady, message, "a-3");

    const versions = await registry.findVersions(
      "projects/local-project/locations/us-central1/models/fraud-detector",
      {},
    );
    expect(versions.map((v) => [v.versionId, v.labels[Label.commit]])).toEqual([
      ["1", commitA],
      ["2", commitB],
    ]);
    const { index } = await readRegistryIndex(runtime.blobs, model);
    expect(index.versions.map((v) => [v.versionId, v.commit])).toEqual([
      ["1", commitA],
      ["2", commitB],
    ]);
  });
});
