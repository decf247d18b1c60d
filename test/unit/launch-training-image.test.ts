import { describe, expect, it } from "vitest";
import { trainingJobSpec } from "../../functions/launch-training/launch-training.js";
import { launchTrainingStep } from "../../functions/launch-training/step.js";
import { ForbiddenError } from "../../shared/errors.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { Topic } from "../../shared/topology.js";
import { FakeVertex } from "../support/fake-vertex.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { pushEnvelope } from "../support/push-envelope.js";
import { trainingRequest } from "../support/step-messages.js";

// A forged training-requested on Pub/Sub must not choose what runs as the trainer either: launchTraining checks
// the image against the configuration (modelgate.config.yaml: training.container, training.ciImageRepository).
const commit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";
const message = trainingRequest(commit, {
  correlationId: "forged-1",
  causedBy: [{ source: "pubsub", id: "forged-1" }],
  trigger: "tekton",
  requestedBy: "tekton:ml-ci/whoever",
});
const ciImage = `us-docker.pkg.dev/local-project/ci/fraud-detector-trainer@sha256:${"a".repeat(64)}`;

describe("launchTraining runs only images the configuration allows", () => {
  it.each([
    ["an image from another registry", "docker.io/mallory/miner:latest"],
    ["the CI repository by tag", "us-docker.pkg.dev/local-project/ci/fraud-detector-trainer:latest"],
    ["a digest too short", "us-docker.pkg.dev/local-project/ci/fraud-detector-trainer@sha256:abc"],
    [
      "a look-alike repository",
      `us-docker.pkg.dev/local-project/ci/fraud-detector-trainer2@sha256:${"a".repeat(64)}`,
    ],
  ])("refuses %s with a ForbiddenError naming the image", (_name, image) => {
    const { config } = memoryRuntime();
    expect(() => trainingJobSpec({ ...message, image }, config)).toThrow(ForbiddenError);
    expect(() => trainingJobSpec({ ...message, image }, config)).toThrow(JSON.stringify(image));
  });

  it.each([
    ["the configured container", "us-docker.pkg.dev/local-project/modelgate/fraud-detector-trainer:latest"],
    ["the CI repository by digest", ciImage],
  ])("runs %s", (_name, image) => {
    const { config } = memoryRuntime();
    expect(trainingJobSpec({ ...message, image }, config).container).toBe(image);
  });

  it("records a forged message's image as a permanent failure and starts no job", async () => {
    const runtime = memoryRuntime();
    const vertex = new FakeVertex();
    const handler = pubsubFunction(
      launchTrainingStep(() => ({ launcher: vertex })),
      () => runtime,
    );
    await handler(
      pushEnvelope(
        Topic.trainingRequested,
        { ...message, image: "docker.io/mallory/miner:latest" },
        { messageId: "m-forged" },
      ),
    );
    expect(vertex.calls).toEqual([]);
    expect(await runtime.ledger.read("fraud-detector", commit)).toMatchObject([
      { action: "step-failed", outcome: "failed", error: { code: "FORBIDDEN" } },
    ]);
  });
});
