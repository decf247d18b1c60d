import { beforeEach, describe, expect, it } from "vitest";
import { mulberry32 } from "../../examples/fraud-detector/dataset.js";
import type { VerifyAdapters } from "../../functions/verify-deployment/adapters.js";
import type { VerificationReport } from "../../functions/verify-deployment/report.js";
import { verifyDeploymentStep } from "../../functions/verify-deployment/step.js";
import { loadConfig } from "../../shared/config.js";
import type { DeploymentReady } from "../../shared/contracts.js";
import { jensenShannonDivergence, NumericHistogram } from "../../shared/drift.js";
import { type Manifest, manifestPath } from "../../shared/manifest.js";
import { Label } from "../../shared/model-ports.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { addToRegistryIndex } from "../../shared/registry-index.js";
import { Topic } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import type { ServedPredictions, ServingPredictor } from "../../shared/vertex/prediction-adapter.js";
import { withoutRolloutSteps } from "../support/example-config.js";
import { FakeVertex } from "../support/fake-vertex.js";
import { fraudDetectorEndpoint } from "../support/fraud-detector-resources.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { pushEnvelope } from "../support/push-envelope.js";
import { verifyDeploymentReady, verifyManifestFor } from "../support/verify-fixtures.js";

const model = "fraud-detector";
const candidateCommit = "c0ffee0000000000000000000000000000000001";
const servingCommit = "5e7e000000000000000000000000000000000002";
const endpoint = fraudDetectorEndpoint;
const candidateId = deployedModelId(model, candidateCommit);
const servingId = deployedModelId(model, servingCommit);
const goldenObject = "golden/fraud-detector/golden.jsonl";
const goldenRows = 1_000;

type Score = (x: number) => number;
/** The golden instances are {x}; the true class is x ≥ 0.5, with every 10th label flipped (a 0.9 ceiling). */
const golden = Array.from({ length: goldenRows }, (_, i) => {
  const x = (i + 0.5) / goldenRows;
  const truth = x >= 0.5 ? 1 : 0;
  return { instance: { x }, label: i % 10 === 0 ? 1 - truth : truth };
});
const identity: Score = (x) => x;
/** A shifted model: its scores crowd into the low bins and never reach the decision threshold. */
const shifted: Score = (x) => 0.5 * x * x;
/** Always wrong where the truth is clear: its answers would wreck the candidate's accuracy if mixed in. */
const inverted: Score = (x) => 1 - x;

/** An endpoint serving two models by a traffic split drawn from a seeded RNG; counts requests in flight. */
class TwoModelEndpoint implements ServingPredictor {
  inFlight = 0;
  maxInFlight = 0;
  private readonly random = mulberry32(7);

  constructor(
    private readonly models: Array<{ id: string; percent: number; score: Score; versionId: string }>,
  ) {}

  private route(pick: number): (typeof this.models)[number] {
    let left = pick;
    for (const m of this.models) {
      left -= m.percent;
      if (left < 0) return m;
    }
    return this.models.at(-1) as (typeof this.models)[number];
  }

  async predict(name: string, instances: unknown[]): Promise<ServedPredictions> {
    expect(name).toBe(endpoint);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      const served = this.route(this.random() * 100);
      return {
        deployedModelId: served.id,
        model: `projects/local-project/locations/us-central1/models/${model}`,
        modelVersionId: served.versionId,
        predictions: instances.map((instance) => {
          const score = served.score((instance as { x: number }).x);
          return { score, label: score >= 0.5 ? 1 : 0 };
        }),
      };
    } finally {
      this.inFlight--;
    }
  }
}

function manifestFor(commit: string, accuracy: number): Manifest {
  return verifyManifestFor(model, commit, accuracy);
}

function deploymentReady(previous = true): DeploymentReady {
  return verifyDeploymentReady(model, candidateCommit, {
    deployedModelId: candidateId,
    canaryPercent: 10,
    previousId: previous ? servingId : undefined,
  });
}

function eventFor(message: DeploymentReady, messageId = "m-1") {
  return pushEnvelope(Topic.deploymentReady, message, { messageId });
}

let runtime: ReturnType<typeof memoryRuntime>;
let vertex: FakeVertex;

async function setUp(goldenText = golden.map((g) => JSON.stringify(g)).join("\n")): Promise<void> {
  // The single canary's point gates; a rollout step's intervals are in verify-verdict.test.ts.
  runtime = memoryRuntime({ config: withoutRolloutSteps(loadConfig({})) });
  vertex = new FakeVertex();
  await runtime.blobs.write(goldenObject, goldenText);
  await runtime.blobs.write(
    manifestPath(model, candidateCommit),
    JSON.stringify(manifestFor(candidateCommit, 0.9)),
  );
}

async function registerServing(accuracy: number): Promise<void> {
  await runtime.blobs.write(
    manifestPath(model, servingCommit),
    JSON.stringify(manifestFor(servingCommit, accuracy)),
  );
  await addToRegistryIndex(runtime.blobs, model, {
    commit: servingCommit,
    versionId: "1",
    modelResource: `projects/local-project/locations/us-central1/models/${model}`,
    registeredAt: "2026-01-01T00:00:00Z",
  });
}

async function verify(predictor: ServingPredictor, message = deploymentReady()): Promise<void> {
  const ports: VerifyAdapters = {
    predictor: () => predictor,
    registry: () => vertex,
    endpoints: () => vertex,
  };
  const handler = pubsubFunction(
    verifyDeploymentStep(() => ports, { sleep: async () => undefined }),
    () => runtime,
  );
  await handler(eventFor(message));
}

async function report(): Promise<VerificationReport> {
  const object = await runtime.blobs.read(`reports/${model}/${candidateCommit}/report.json`);
  expect(object).not.toBeNull();
  return JSON.parse(object?.data.toString() ?? "") as VerificationReport;
}

function endpointWith(candidate: Score, serving: Score = inverted): TwoModelEndpoint {
  return new TwoModelEndpoint([
    { id: servingId, percent: 90, score: serving, versionId: "1" },
    { id: candidateId, percent: 10, score: candidate, versionId: "2" },
  ]);
}

describe("verifyDeployment", () => {
  beforeEach(async () => {
    await setUp();
  });

  it("passes a good canary, scoring only the candidate's answers", async () => {
    await registerServing(0.91);
    const predictor = endpointWith(identity);
    await verify(predictor);

    const [completed, ...more] = runtime.publisher.on(Topic.verificationCompleted);
    expect(more).toHaveLength(0);
    expect(completed?.verdict).toBe("pass");
    // Every 10th label is flipped, so the candidate is right 9 times in 10; the serving model's answers
    // (always wrong where it matters) would have pulled this far down had they been mixed in.
    expect(completed?.metrics.accuracy).toBeCloseTo(0.9, 12);
    expect(completed?.metrics.scored).toBe(goldenRows);
    expect(completed?.metrics.coverage).toBe(1);
    expect(completed?.metrics.servingAccuracy).toBe(0.91);
    expect(completed?.metrics.accuracyDrop).toBeCloseTo(0.01, 12);
    expect(completed?.metrics.servingObservedAccuracy).toBeLessThan(0.2);
    expect(completed?.metrics.drift).toBeCloseTo(0, 12);
    expect(completed?.reportUri).toBe(
      `gs://modelgate-artifacts/reports/${model}/${candidateCommit}/report.json`,
    );
    expect(completed).toMatchObject({
      endpoint,
      deployedModelId: candidateId,
      previousDeployedModelId: servingId,
      previousTrafficSplit: { [servingId]: 100 },
      canaryPercent: 10,
      versionId: "2",
      causedBy: [{ source: "pubsub:deployment-ready", id: "m-1" }],
    });
    expect(predictor.maxInFlight).toBeLessThanOrEqual(
      runtime.config.models[model]?.verification.concurrency ?? 0,
    );

    const written = await report();
    expect(written.verdict).toBe("pass");
    expect(written.serving).toMatchObject({
      commit: servingCommit,
      source: "registry-index",
      recordedAccuracy: 0.91,
    });
    expect(written.scoring.responsesByDeployedModel[candidateId]).toBe(goldenRows / 100);
    const html = await runtime.blobs.read(`reports/${model}/${candidateCommit}/report.html`);
    expect(html?.data.toString()).toContain("<svg");

    const records = await runtime.ledger.read(model, candidateCommit);
    expect(records.map((r) => r.action)).toEqual(["verification-completed", "github-notification-requested"]);
    // The verification commit status, linking the step's HTML report, for notifyGithub to set.
    expect(runtime.publisher.on(Topic.githubNotifications)).toEqual([
      expect.objectContaining({
        kind: "commit-status",
        context: `modelgate/verification/${model}`,
        state: "success",
        targetUrl: `https://storage.cloud.google.com/${runtime.blobs.bucket}/reports/${model}/${candidateCommit}/report.html`,
      }),
    ]);
    expect(records[0]?.details).toMatchObject({
      verdict: "pass",
      reportUri: completed?.reportUri,
      responsesByDeployedModel: written.scoring.responsesByDeployedModel,
    });
  });

  it("fails a shifted canary on accuracy and drift, with the drift computed by hand", async () => {
    await registerServing(0.9);
    await verify(endpointWith(shifted));
    const [completed] = runtime.publisher.on(Topic.verificationCompleted);
    expect(completed?.verdict).toBe("fail");

    const expectedObserved = NumericHistogram.uniform(0, 1, 10);
    for (const g of golden) expectedObserved.add(shifted(g.instance.x));
    const baseline = manifestFor(candidateCommit, 0.9).baseline as { counts: number[] };
    const expectedDrift = jensenShannonDivergence(baseline.counts, expectedObserved.counts);
    expect(completed?.metrics.drift).toBeCloseTo(expectedDrift, 12);
    expect(expectedDrift).toBeGreaterThan(0.1);

    const failedChecks = (await report()).checks.filter((c) => !c.passed).map((c) => c.name);
    expect(failedChecks).toEqual(["accuracy", "accuracy-drop", "drift"]);
    expect(completed?.reasons).toHaveLength(3);
    expect(completed?.reasons[0]).toMatch(/^accuracy 0\.\d{4} < minimum 0\.8500$/);
  });

  it("fails on the accuracy drop alone when the serving version recorded better", async () => {
    await registerServing(0.95);
    await verify(endpointWith(identity));
    const [completed] = runtime.publisher.on(Topic.verificationCompleted);
    expect(completed?.verdict).toBe("fail");
    expect(completed?.reasons).toEqual([
      "accuracy drop 0.0500 against the serving version's 0.9500 > the allowed 0.0400",
    ]);
  });

  it("finds the serving commit from the model version's label when the registry index does not know it", async () => {
    await runtime.blobs.write(
      manifestPath(model, servingCommit),
      JSON.stringify(manifestFor(servingCommit, 0.99)),
    );
    const { version } = await vertex.uploadVersion({
      displayName: model,
      artifactUri: `gs://modelgate-artifacts/models/${model}/${servingCommit}/model/`,
      servingContainer: { imageUri: "us-docker.pkg.dev/p/r/serving:1" },
      labels: { [Label.model]: model, [Label.commit]: servingCommit },
      aliases: [],
    });
    const predictor = new TwoModelEndpoint([
      { id: servingId, percent: 50, score: identity, versionId: version.versionId },
      { id: candidateId, percent: 50, score: identity, versionId: "2" },
    ]);
    await verify(predictor);
    const written = await report();
    expect(written.serving).toMatchObject({
      commit: servingCommit,
      source: "model-labels",
      recordedAccuracy: 0.99,
    });
    expect(vertex.count("getVersion")).toBe(1);
    expect(written.checks.find((c) => c.name === "accuracy-drop")?.passed).toBe(false);
  });

  it("reads both manifests from short-SHA directories when the commits are registered in full", async () => {
    await runtime.blobs.delete(manifestPath(model, candidateCommit));
    await runtime.blobs.write(
      manifestPath(model, candidateCommit.slice(0, 7)),
      JSON.stringify(manifestFor(candidateCommit, 0.9)),
    );
    await registerServing(0.91);
    await runtime.blobs.delete(manifestPath(model, servingCommit));
    await runtime.blobs.write(
      manifestPath(model, servingCommit.slice(0, 12)),
      JSON.stringify(manifestFor(servingCommit.slice(0, 12), 0.91)),
    );
    await verify(endpointWith(identity));
    const [completed] = runtime.publisher.on(Topic.verificationCompleted);
    expect(completed?.verdict).toBe("pass");
    expect((await report()).serving).toMatchObject({ commit: servingCommit, recordedAccuracy: 0.91 });
  });

  it("skips the drop check, saying why, when the serving version has no recorded metrics", async () => {
    await verify(endpointWith(identity));
    const written = await report();
    expect(written.verdict).toBe("pass");
    expect(written.checks.map((c) => c.name)).toEqual(["coverage", "accuracy", "drift"]);
    // Neither the registry index nor the (empty) Model Registry knows the serving version.
    expect(written.serving?.problem).toMatch(/recorded metrics could not be read: .*not found/);
  });

  it("verifies a first deployment without comparing to anything", async () => {
    const predictor = new TwoModelEndpoint([
      { id: candidateId, percent: 100, score: identity, versionId: "1" },
    ]);
    await verify(predictor, deploymentReady(false));
    const [completed] = runtime.publisher.on(Topic.verificationCompleted);
    expect(completed?.verdict).toBe("pass");
    expect(completed?.metrics.requests).toBe(goldenRows / 100);
    expect((await report()).serving).toBeNull();
  });

  it("counts bad golden lines, reports them and fails when too few examples remain", async () => {
    const lines = golden.map((g, i) => (i % 20 === 0 ? `{"broken": ${i}` : JSON.stringify(g)));
    await setUp(lines.join("\n"));
    await verify(endpointWith(identity));
    const [completed] = runtime.publisher.on(Topic.verificationCompleted);
    expect(completed?.metrics.badLines).toBe(50);
    expect(completed?.metrics.goldenLines).toBe(goldenRows);
    expect(completed?.metrics.coverage).toBe(0.95);
    expect(completed?.verdict).toBe("pass");
    const written = await report();
    expect(written.goldenSet.badLineSamples[0]).toMatchObject({ line: 1 });

    const worse = golden.map((g, i) => (i % 10 === 0 ? "nope" : JSON.stringify(g)));
    await setUp(worse.join("\n"));
    await verify(endpointWith(identity));
    const [again] = runtime.publisher.on(Topic.verificationCompleted);
    expect(again?.verdict).toBe("fail");
    expect(again?.reasons[0]).toMatch(/900 of 1000 golden examples scored/);
  });

  it("records a missing golden set as a permanent failure naming the object, and publishes nothing", async () => {
    await runtime.blobs.delete(goldenObject);
    await verify(endpointWith(identity));
    expect(runtime.publisher.on(Topic.verificationCompleted)).toHaveLength(0);
    const records = await runtime.ledger.read(model, candidateCommit);
    expect(records.map((r) => r.action)).toEqual(["step-failed"]);
    expect(String(records[0]?.error?.message)).toContain(`gs://modelgate-artifacts/${goldenObject}`);
  });

  it("verifies once per deployed model however often the message arrives", async () => {
    await registerServing(0.9);
    const predictor = endpointWith(identity);
    await verify(predictor);
    await verify(predictor);
    expect(runtime.publisher.on(Topic.verificationCompleted)).toHaveLength(1);
  });

  it("verifies again when the same commit is promoted again (same deployed model id, new request)", async () => {
    await registerServing(0.91);
    const predictor = endpointWith(identity);
    await verify(predictor);
    await verify(predictor, { ...deploymentReady(), correlationId: "corr-second-promotion" });
    expect(runtime.publisher.on(Topic.verificationCompleted).map((m) => m.correlationId)).toEqual([
      "corr-verify",
      "corr-second-promotion",
    ]);
  });
});
