import { describe, expect, it } from "vitest";
import { notifyGithubStep } from "../../functions/notify-github/step.js";
import { rolloutStatus } from "../../functions/rollout-model/github-status.js";
import { loadConfig } from "../../shared/config.js";
import type { VerificationCompleted } from "../../shared/contracts.js";
import { TransientError, UpstreamError } from "../../shared/errors.js";
import { deploymentStatus, notifyGithubAbout } from "../../shared/github/notifications.js";
import type { LedgerRecord } from "../../shared/ledger.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import type { RolloutStep } from "../../shared/rollout-plan.js";
import { Topic } from "../../shared/topology.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { pushEnvelope } from "../support/push-envelope.js";
import { RecordingPublisher } from "../support/recording-publisher.js";

const commit = "3".repeat(40);
const subject = { correlationId: "c-1", model: "fraud-detector", commit, repository: "acme/fraud-detector" };

function deps(config = loadConfig({})) {
  const records: Array<Partial<LedgerRecord>> = [];
  const publisher = new RecordingPublisher();
  return {
    records,
    publisher,
    deps: {
      publisher,
      config,
      trace: { record: async (r: Partial<LedgerRecord>) => void records.push(r) },
      cause: { source: "test", id: "1" },
      now: () => new Date("2026-01-02T00:00:00Z"),
    },
  };
}

describe("notifyGithubAbout", () => {
  it("publishes a deployment status for notifyGithub, valid by its contract, and records it", async () => {
    const { publisher, records, deps: d } = deps();
    const body = deploymentStatus("fraud-endpoint", "success", "serving", {
      reportUri: "gs://modelgate-artifacts/reports/fraud-detector/x/report.html",
    });
    await notifyGithubAbout(subject, body, d);
    expect(publisher.on(Topic.githubNotifications)).toEqual([
      expect.objectContaining({
        kind: "deployment-status",
        model: "fraud-detector",
        commit,
        environment: "fraud-endpoint",
        state: "success",
        logUrl: "https://storage.cloud.google.com/modelgate-artifacts/reports/fraud-detector/x/report.html",
        causedBy: [{ source: "test", id: "1" }],
      }),
    ]);
    expect(records.map((r) => r.action)).toEqual(["github-notification-requested"]);
  });

  it("skips with one ledger record, and no failure, when no GitHub App is configured", async () => {
    const config = loadConfig({});
    const { app: _app, ...github } = config.github;
    const { publisher, records, deps: d } = deps({ ...config, github });
    await notifyGithubAbout(subject, deploymentStatus("fraud-endpoint", "queued", "deploying"), d);
    expect(publisher.on(Topic.githubNotifications)).toEqual([]);
    expect(records).toEqual([
      expect.objectContaining({
        action: "github-notification-skipped",
        outcome: "skipped",
        details: expect.objectContaining({ reason: expect.stringMatching(/github.app is not configured/) }),
      }),
    ]);
  });

  it("skips a commit named by an abbreviated SHA: GitHub's deployments and statuses need the full one", async () => {
    const { publisher, records, deps: d } = deps();
    await notifyGithubAbout({ ...subject, commit: "3333333" }, deploymentStatus("e", "queued", ""), d);
    expect(publisher.on(Topic.githubNotifications)).toEqual([]);
    expect(records[0]?.details).toMatchObject({ reason: expect.stringMatching(/not a full commit SHA/) });
  });
});

describe("rolloutStatus", () => {
  const steps: RolloutStep[] = [
    { index: 0, traffic: 10, approval: false },
    { index: 1, traffic: 50, approval: true, bakeMs: 30_000 },
    { index: 2, traffic: 100, approval: false },
  ];
  const verified = {
    endpoint: "fraud-endpoint",
    rolloutStep: 0,
    reasons: ["too few rows"],
    versionId: "2",
    reportUri: "gs://b/r.html",
  } as VerificationCompleted;

  it("says which step a rollout is paused at and why, linking the report", () => {
    expect(rolloutStatus(verified, { kind: "pause", reason: "inconclusive", step: 0 }, steps)).toMatchObject({
      state: "in_progress",
      rolloutStep: 0,
      description: "step 1 of 3: 10 % of the traffic, paused, inconclusive: too few rows",
      logUrl: "https://storage.cloud.google.com/b/r.html",
    });
  });

  it("says the step now under way and its bake", () => {
    expect(rolloutStatus(verified, { kind: "advance", step: steps[1] as RolloutStep }, steps)).toMatchObject({
      state: "in_progress",
      rolloutStep: 1,
      description: "step 2 of 3: 50 % of the traffic, baking 30s",
    });
  });

  it("says how a finished rollout got there: through its steps, or at once as a first deployment", () => {
    const last = { ...verified, rolloutStep: 2, previousTrafficSplit: { "1111": 100 } };
    expect(rolloutStatus(last, { kind: "finish" }, steps)).toMatchObject({
      state: "success",
      description: "version 2 serves all the traffic: after 3 steps",
    });
    expect(rolloutStatus({ ...last, previousTrafficSplit: {} }, { kind: "finish" }, steps)).toMatchObject({
      description: "version 2 serves all the traffic: a first deployment, verified at 100 %",
    });
  });

  it("says an abort at a later step is a failure", () => {
    const at = { ...verified, rolloutStep: 1, reasons: ["aborted by alice"] };
    expect(rolloutStatus(at, { kind: "roll-back", aborted: true }, steps)).toMatchObject({
      state: "failure",
      description: "aborted at step 2 of 3, split restored: aborted by alice",
    });
  });
});

describe("notifyGithub with deployment statuses", () => {
  it("sets each status once however often it arrives, and a step's pause apart from its start", async () => {
    const runtime = memoryRuntime();
    const set: string[] = [];
    const handler = pubsubFunction(
      notifyGithubStep(() => ({
        setStatus: async () => {
          throw new Error("no commit status here");
        },
        setDeploymentStatus: async (_r, _c, target, status) => {
          set.push(
            `${target.environment}/${target.task}/${target.rollout}: ${status.state} ${status.description}`,
          );
          return { deploymentId: 1, created: set.length === 1, written: true };
        },
      })),
      () => runtime,
    );
    const envelope = {
      schemaVersion: 1 as const,
      ...subject,
      causedBy: [{ source: "test", id: "1" }],
      createdAt: "2026-01-02T00:00:00.000Z",
    };
    const started = {
      ...envelope,
      ...deploymentStatus("e", "in_progress", "step 2 of 3", { rolloutStep: 1 }),
    };
    const paused = { ...started, description: "step 2 of 3, paused" };
    let id = 0;
    for (const message of [started, started, paused, paused]) {
      id += 1;
      await handler(pushEnvelope(Topic.githubNotifications, message, { messageId: `m-${id}` }));
    }
    expect(set).toEqual([
      "e/deploy:fraud-detector/c-1: in_progress step 2 of 3",
      "e/deploy:fraud-detector/c-1: in_progress step 2 of 3, paused",
    ]);
    const ledger = await runtime.ledger.read("fraud-detector", commit);
    expect(ledger.filter((e) => e.action === "deployment-status-set")).toHaveLength(2);
  });
});

describe("notifyGithub for a commit GitHub does not know", () => {
  const envelope = {
    schemaVersion: 1 as const,
    ...subject,
    causedBy: [{ source: "test", id: "1" }],
    createdAt: "2026-01-02T00:00:00.000Z",
  };
  const handlerFailing = (error: Error, runtime: ReturnType<typeof memoryRuntime>) =>
    pubsubFunction(
      notifyGithubStep(() => ({
        setStatus: async () => {
          throw error;
        },
        setDeploymentStatus: async () => {
          throw error;
        },
      })),
      () => runtime,
    );

  it.each([422, 404])(
    "records a refusal (%i) and completes: GitHub cannot show it, the chain did not fail",
    async (status) => {
      const runtime = memoryRuntime();
      const refused = new UpstreamError(`GitHub answered ${status}`, { details: { status } });
      const message = { ...envelope, ...deploymentStatus("e", "queued", "deploying") };
      await handlerFailing(
        refused,
        runtime,
      )(pushEnvelope(Topic.githubNotifications, message, { messageId: "m-1" }));
      const ledger = await runtime.ledger.read("fraud-detector", commit);
      expect(ledger.map((e) => [e.action, e.outcome])).toEqual([["github-notification-refused", "skipped"]]);
    },
  );

  it("leaves any other failure to the step's retry: a rate limit is redelivered", async () => {
    const runtime = memoryRuntime();
    const limited = new TransientError("GitHub answered 403 (rate limit)", { details: { status: 403 } });
    const message = { ...envelope, ...deploymentStatus("e", "queued", "deploying") };
    await expect(
      handlerFailing(
        limited,
        runtime,
      )(pushEnvelope(Topic.githubNotifications, message, { messageId: "m-1" })),
    ).rejects.toThrow(/rate limit/);
  });
});
