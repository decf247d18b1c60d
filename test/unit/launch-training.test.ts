import { describe, expect, it } from "vitest";
import { trainingJobSpec } from "../../functions/launch-training/launch-training.js";
import { launchTrainingStep } from "../../functions/launch-training/step.js";
import { encodeMessage, type TrainingRequested } from "../../shared/contracts.js";
import { TransientError, UpstreamError } from "../../shared/errors.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { Topic } from "../../shared/topology.js";
import { FakeVertex } from "../support/fake-vertex.js";
import { fraudDetectorLabels } from "../support/fraud-detector-resources.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { rawPushEnvelope } from "../support/push-envelope.js";
import { trainingRequest } from "../support/step-messages.js";

const commit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";
const message = trainingRequest(commit, {
  correlationId: "gh-delivery-72d3162e",
  causedBy: [{ source: "github", id: "72d3162e-cc78-11e3-81ab-4c9367dc0958" }],
});

function pubsubEvent(data: Buffer, messageId: string, deliveryAttempt = 1) {
  return rawPushEnvelope(Topic.trainingRequested, data, { messageId, deliveryAttempt });
}

/** The ledger's action:outcome pairs, sorted: records written in the same millisecond have no defined order. */
async function ledgerActions(
  runtime: ReturnType<typeof memoryRuntime>,
  forCommit: string,
): Promise<string[]> {
  return (await runtime.ledger.read("fraud-detector", forCommit))
    .map((e) => `${e.action}:${e.outcome}`)
    .sort();
}

function setup() {
  const runtime = memoryRuntime();
  const vertex = new FakeVertex();
  const handler = pubsubFunction(
    launchTrainingStep(() => ({ launcher: vertex })),
    () => runtime,
  );
  const deliver = (body: TrainingRequested, id: string) =>
    handler(pubsubEvent(encodeMessage(Topic.trainingRequested, body).data, id));
  return { runtime, vertex, handler, deliver };
}

describe("trainingJobSpec", () => {
  it("builds the CustomJob from the model's training configuration", () => {
    const { config } = memoryRuntime();
    const spec = trainingJobSpec(message, config);
    expect(spec).toEqual({
      displayName: "modelgate-fraud-detector-3f2c1a9e8b7d",
      container: "us-docker.pkg.dev/local-project/modelgate/fraud-detector-trainer:latest",
      command: [],
      args: ["--data", "gs://modelgate-artifacts/datasets/fraud-detector/train.jsonl"],
      env: {
        MODELGATE_MODEL: "fraud-detector",
        MODELGATE_COMMIT: commit,
        MODELGATE_REPOSITORY: "acme/fraud-detector",
        MODELGATE_SERVING_CONTAINER:
          "us-docker.pkg.dev/local-project/modelgate/fraud-detector-serving:latest",
        MODELGATE_CORRELATION_ID: "gh-delivery-72d3162e",
      },
      machineType: "n1-standard-4",
      serviceAccount: "mg-trainer@local-project.iam.gserviceaccount.com",
      baseOutputDirectory: `gs://modelgate-artifacts/models/fraud-detector/${commit}/`,
      labels: fraudDetectorLabels(commit, "gh-delivery-72d3162e"),
      timeoutSeconds: 7200,
    });
  });

  it("trains with the image CI built for the commit when the request names one", () => {
    const { config } = memoryRuntime();
    const image = `us-docker.pkg.dev/local-project/ci/fraud-detector-trainer@sha256:${"a".repeat(64)}`;
    expect(trainingJobSpec({ ...message, image }, config).container).toBe(image);
  });
});

describe("launchTraining step", () => {
  it("creates one CustomJob and records the full response with the correlation id", async () => {
    const { runtime, vertex, handler } = setup();
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await handler(pubsubEvent(data, "m-1"));

    expect(vertex.jobs).toHaveLength(1);
    expect(vertex.jobs[0]?.spec.baseOutputDirectory).toBe(
      `gs://modelgate-artifacts/models/fraud-detector/${commit}/`,
    );
    const ledger = await runtime.ledger.read("fraud-detector", commit);
    const created = ledger.find((entry) => entry.action === "custom-job-created");
    expect(created).toMatchObject({
      outcome: "succeeded",
      correlationId: "gh-delivery-72d3162e",
      step: "launchTraining",
      details: { response: { name: vertex.jobs[0]?.name, state: "JOB_STATE_PENDING" } },
    });
    const logged = runtime.logLines.find((line) => line.message === "custom-job-created succeeded");
    expect(logged).toMatchObject({
      correlationId: "gh-delivery-72d3162e",
      response: { name: vertex.jobs[0]?.name },
    });
  });

  it("creates one job however often the message arrives, as redelivery or as a new message", async () => {
    const { vertex, handler } = setup();
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await handler(pubsubEvent(data, "m-1"));
    await handler(pubsubEvent(data, "m-1", 2));
    await handler(pubsubEvent(data, "m-2"));
    expect(vertex.jobs).toHaveLength(1);
    expect(vertex.count("createJob")).toBe(1);
  });

  it("reuses the job an earlier attempt created when that attempt died before completing its claim", async () => {
    const { runtime, vertex, handler } = setup();
    vertex.crashAfter("createJob");
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await expect(handler(pubsubEvent(data, "m-1"))).rejects.toBeInstanceOf(TransientError);
    expect(vertex.jobs).toHaveLength(1);

    await handler(pubsubEvent(data, "m-1", 2));
    expect(vertex.jobs).toHaveLength(1);
    expect(vertex.count("createJob")).toBe(1);
    expect(await ledgerActions(runtime, commit)).toEqual(
      [
        "custom-jobs-listed:succeeded",
        "custom-job-created:failed",
        "custom-jobs-listed:succeeded",
        "custom-job-reused:skipped",
        "github-notification-requested:succeeded",
      ].sort(),
    );
  });

  it.each([
    ["JOB_STATE_QUEUED", true],
    ["JOB_STATE_PENDING", true],
    ["JOB_STATE_RUNNING", true],
    ["JOB_STATE_SUCCEEDED", true],
    ["JOB_STATE_FAILED", false],
    ["JOB_STATE_CANCELLED", false],
    ["JOB_STATE_EXPIRED", false],
  ])("after an attempt died, reuses an earlier job in state %s: %s", async (state, reused) => {
    const { runtime, vertex, handler } = setup();
    vertex.crashAfter("createJob");
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await expect(handler(pubsubEvent(data, "m-1"))).rejects.toBeInstanceOf(TransientError);
    const [earlier] = vertex.jobs;
    if (!earlier) throw new Error("expected the first attempt's job");
    earlier.state = state;

    await handler(pubsubEvent(data, "m-1", 2));
    expect(vertex.count("createJob")).toBe(reused ? 1 : 2);
    const actions = await ledgerActions(runtime, commit);
    expect(actions.includes("custom-job-reused:skipped")).toBe(reused);
    expect(actions.includes("custom-jobs-passed-over:skipped")).toBe(!reused);
  });

  it("trains a commit whose job failed again only on an explicit retrain, once per retrain attempt", async () => {
    const { runtime, vertex, deliver } = setup();
    await deliver(message, "m-1");
    const [first] = vertex.jobs;
    if (!first) throw new Error("expected a job");
    first.state = "JOB_STATE_FAILED";

    // The same push again is a repeat: its claim is complete.
    await deliver(message, "m-2");
    expect(vertex.count("createJob")).toBe(1);

    const retrain: TrainingRequested = {
      ...message,
      correlationId: "retrain-1",
      trigger: "manual",
      requestedBy: "alice",
      retrain: 1,
    };
    await deliver(retrain, "m-3");
    await deliver(retrain, "m-4");
    expect(vertex.count("createJob")).toBe(2);
    const passedOver = (await runtime.ledger.read("fraud-detector", commit)).find(
      (e) => e.action === "custom-jobs-passed-over",
    );
    expect(passedOver).toMatchObject({
      correlationId: "retrain-1",
      details: { retrain: 1, passedOver: [{ job: first.name, state: "JOB_STATE_FAILED" }] },
    });
  });

  it("trains anew on a retrain although an earlier request's job succeeded", async () => {
    const { vertex, deliver } = setup();
    await deliver(message, "m-1");
    const [first] = vertex.jobs;
    if (!first) throw new Error("expected a job");
    first.state = "JOB_STATE_SUCCEEDED";
    await deliver({ ...message, correlationId: "retrain-2", trigger: "manual", retrain: 2 }, "m-2");
    expect(vertex.count("createJob")).toBe(2);
  });

  it("throws UNAVAILABLE for redelivery, and the retry creates the job", async () => {
    const { runtime, vertex, handler } = setup();
    vertex.failNext("createJob", new TransientError("CreateCustomJob failed: 14 UNAVAILABLE: try again"));
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await expect(handler(pubsubEvent(data, "m-1"))).rejects.toBeInstanceOf(TransientError);
    await handler(pubsubEvent(data, "m-1", 2));
    expect(vertex.jobs).toHaveLength(1);
    const failed = (await runtime.ledger.read("fraud-detector", commit)).find(
      (e) => e.action === "custom-job-created" && e.outcome === "failed",
    );
    expect(failed?.error).toMatchObject({
      code: "TRANSIENT",
      message: expect.stringContaining("UNAVAILABLE"),
    });
    expect(failed?.details).toMatchObject({ retryable: true });
  });

  it("records INVALID_ARGUMENT and acknowledges: no retry loop", async () => {
    const { runtime, vertex, handler } = setup();
    vertex.failNext(
      "createJob",
      new UpstreamError(
        "CreateCustomJob failed: 3 INVALID_ARGUMENT: machine type n1-standard-4 is not available",
      ),
    );
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await handler(pubsubEvent(data, "m-1"));
    await handler(pubsubEvent(data, "m-1", 2));
    expect(vertex.count("createJob")).toBe(1);
    expect(await ledgerActions(runtime, commit)).toEqual(
      ["custom-jobs-listed:succeeded", "custom-job-created:failed", "step-failed:failed"].sort(),
    );
  });

  it("refuses a model that is not configured, permanently", async () => {
    const { runtime, vertex, handler } = setup();
    const { data } = encodeMessage(Topic.trainingRequested, { ...message, model: "churn" });
    await handler(pubsubEvent(data, "m-1"));
    expect(vertex.calls).toEqual([]);
    const [failed] = await runtime.ledger.read("churn", commit);
    expect(failed).toMatchObject({ action: "step-failed", error: { code: "INVALID_CONFIG" } });
  });
});
