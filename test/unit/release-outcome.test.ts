import { describe, expect, it } from "vitest";
import { notifyGithubStep } from "../../functions/notify-github/step.js";
import { recordReleaseOutcome } from "../../functions/rollout-model/release-outcome.js";
import type { VerificationCompleted } from "../../shared/contracts.js";
import type { CommitStatus } from "../../shared/github/ports.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import {
  type AppliedRelease,
  readAppliedRelease,
  writeAppliedRelease,
} from "../../shared/releases/applied-release.js";
import { Topic } from "../../shared/topology.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { pushEnvelope } from "../support/push-envelope.js";

const declaredBy = "d".repeat(40);
const commit = "c".repeat(40);
const lastServing = {
  release: { commit: "b".repeat(40) },
  declaredBy: {
    repository: "acme/fraud-detector",
    commit: "e".repeat(40),
    path: "modelgate.releases.yaml",
    trigger: "github-push" as const,
    at: "2026-01-01T00:00:00.000Z",
  },
  updatedAt: "2026-01-01T00:00:00.000Z",
};
const requested: AppliedRelease = {
  schemaVersion: 1,
  model: "fraud-detector",
  release: { commit },
  declaredBy: { ...lastServing.declaredBy, commit: declaredBy },
  state: "requested",
  updatedAt: "2026-01-02T00:00:00.000Z",
  lastServing,
};

function verdict(pass: boolean, release = declaredBy): VerificationCompleted {
  return {
    schemaVersion: 1,
    correlationId: "r-1",
    model: "fraud-detector",
    commit,
    repository: "acme/fraud-detector",
    causedBy: [{ source: "pubsub:deployment-ready", id: "m-1" }],
    createdAt: "2026-01-02T00:00:00.000Z",
    endpoint: "projects/p/locations/l/endpoints/fraud-detector",
    modelResource: "projects/p/locations/l/models/1",
    versionId: "4",
    deployedModelId: "d-1",
    canaryPercent: 10,
    previousTrafficSplit: {},
    release: { declaredBy: release },
    verdict: pass ? "pass" : "fail",
    reasons: pass ? [] : ["accuracy 0.61 below 0.80"],
    metrics: {},
    reportUri: "gs://modelgate-artifacts/reports/fraud-detector/cccc/report.json",
  };
}

async function outcome(message: VerificationCompleted) {
  const runtime = memoryRuntime();
  await writeAppliedRelease(runtime.blobs, requested, "0");
  const trace = { record: async () => {}, logger: runtime.logger };
  const served = message.verdict === "pass";
  await recordReleaseOutcome(message, served, { ...runtime, trace, cause: { source: "test", id: "1" } });
  return { runtime, applied: (await readAppliedRelease(runtime.blobs, "fraud-detector"))?.applied };
}

describe("a release's outcome", () => {
  it("on pass: serving at the new version (the last serving one dropped), success linking the report", async () => {
    const { runtime, applied } = await outcome(verdict(true));
    expect(applied).toMatchObject({ state: "serving", versionId: "4" });
    expect(applied?.lastServing).toBeUndefined();
    expect(runtime.publisher.on(Topic.githubNotifications)).toMatchObject([
      {
        kind: "commit-status",
        commit: declaredBy,
        state: "success",
        context: "modelgate/release/fraud-detector",
        targetUrl:
          "https://storage.cloud.google.com/modelgate-artifacts/reports/fraud-detector/cccc/report.json",
      },
    ]);
  });

  it("on fail: failed with the reason, the last serving release kept, failure naming the reason", async () => {
    const { runtime, applied } = await outcome(verdict(false));
    expect(applied).toMatchObject({ state: "failed", reason: "accuracy 0.61 below 0.80", lastServing });
    expect(runtime.publisher.on(Topic.githubNotifications)[0]?.description).toMatch(
      /previous version: accuracy/,
    );
  });

  it("leaves a state that a newer declaration replaced alone", async () => {
    const { runtime, applied } = await outcome(verdict(true, "f".repeat(40)));
    expect(applied).toEqual(requested);
    expect(runtime.publisher.on(Topic.githubNotifications)).toEqual([]);
  });
});

describe("notifyGithub", () => {
  it("sets the commit status once however often the notification arrives", async () => {
    const runtime = memoryRuntime();
    const set: Array<[string, string, CommitStatus]> = [];
    const handler = pubsubFunction(
      notifyGithubStep(() => ({
        setStatus: async (r, c, s) => void set.push([r, c, s]),
        setDeploymentStatus: async () => {
          throw new Error("a commit status sets no deployment status");
        },
      })),
      () => runtime,
    );
    const notification = {
      schemaVersion: 1 as const,
      correlationId: "r-1",
      repository: "acme/fraud-detector",
      commit: declaredBy,
      causedBy: [{ source: "test", id: "1" }],
      createdAt: "2026-01-02T00:00:00.000Z",
      model: "fraud-detector",
      kind: "commit-status" as const,
      state: "success" as const,
      context: "modelgate/release/fraud-detector",
      description: "serving",
    };
    await handler(pushEnvelope(Topic.githubNotifications, notification, { messageId: "a" }));
    await handler(pushEnvelope(Topic.githubNotifications, notification, { messageId: "b" }));
    expect(set).toEqual([
      [
        "acme/fraud-detector",
        declaredBy,
        { state: "success", context: notification.context, description: "serving" },
      ],
    ]);
  });
});
