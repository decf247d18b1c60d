// What each Vertex AI step is sent for a cold start: a message that makes its first Vertex AI call real.
import { randomUUID } from "node:crypto";
import { MODEL_NAME } from "../../examples/fraud-detector/seed-data.js";
import { Verdict } from "../../shared/contracts.js";
import { Label } from "../../shared/model-ports.js";
import { createRuntime } from "../../shared/runtime.js";
import { Topic } from "../../shared/topology.js";
import type { VertexStep } from "../build.js";
import { config, hex } from "./context.js";
import type { HttpRequest } from "./processes.js";
import { envelope, pubsubEvent } from "./requests.js";
import type { Setup } from "./setup.js";

export interface StepRequest {
  request: () => HttpRequest;
  /** Prepares the next run (a fresh commit), before the process starts. */
  before?: () => void;
  /** What `before` started and the run must wait for. */
  pending?: () => Promise<unknown>;
}

export function stepRequest(setup: Setup, step: VertexStep): StepRequest {
  switch (step) {
    case "launchTraining":
      return launchTrainingRequest(setup);
    case "registerModel":
      return registerModelRequest(setup);
    case "deployModel":
      // A commit not registered yet: the step reads the registry (its first call) and waits by retrying.
      return {
        request: () =>
          pubsubEvent(Topic.deploymentRequested, {
            ...envelope(`3c${hex(38)}`, randomUUID()),
            reason: "promotion-tag",
            tag: `promote/${MODEL_NAME}/bench`,
          }),
      };
    case "verifyDeployment":
      return {
        request: () => pubsubEvent(Topic.deploymentReady, { ...setup.ready, correlationId: randomUUID() }),
      };
    case "rolloutModel":
      return {
        request: () =>
          pubsubEvent(Topic.verificationCompleted, {
            ...setup.rolloutReady,
            correlationId: randomUUID(),
            verdict: Verdict.pass,
            reasons: ["bench"],
            metrics: { accuracy: 0.95 },
            reportUri: `gs://${config.bucket}/reports/${MODEL_NAME}/bench/report.json`,
          }),
      };
  }
}

function launchTrainingRequest(setup: Setup): StepRequest {
  let commit = "";
  return {
    before: () => {
      commit = `1a${hex(38)}`;
      // CreateCustomJob is real; the job then ends FAILED instead of spawning a trainer during the benchmark.
      setup.servers.vertex.faults.failJob({ labels: { [Label.commit]: commit } }, "bench: not run");
    },
    request: () =>
      pubsubEvent(Topic.trainingRequested, { ...envelope(commit, randomUUID()), trigger: "github-push" }),
  };
}

function registerModelRequest(setup: Setup): StepRequest {
  const runtime = createRuntime(setup.env("registerModel"));
  let commit = "";
  let pending: Promise<unknown> = Promise.resolve();
  return {
    before: () => {
      commit = `2b${hex(38)}`;
      // The candidate's manifest under a fresh commit, so each run registers a new version.
      pending = (async () => {
        const object = await runtime.blobs.read(
          `models/${MODEL_NAME}/${setup.candidateCommit}/modelgate.json`,
        );
        const manifest = JSON.parse(object?.data.toString("utf8") ?? "{}") as Record<string, unknown>;
        await runtime.blobs.write(
          `models/${MODEL_NAME}/${commit}/modelgate.json`,
          JSON.stringify({ ...manifest, commit }),
        );
      })();
    },
    request: () =>
      pubsubEvent(Topic.artifactReady, {
        ...envelope(commit, randomUUID()),
        artifactUri: `gs://${config.bucket}/models/${MODEL_NAME}/${commit}/`,
      }),
    pending: () => pending,
  };
}
