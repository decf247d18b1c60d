import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_OBJECTS, MODEL_NAME } from "../../examples/fraud-detector/seed-data.js";
import { verifyDeploymentAdapters } from "../../functions/verify-deployment/adapters.js";
import type { VerificationReport } from "../../functions/verify-deployment/report.js";
import { verifyDeploymentStep } from "../../functions/verify-deployment/step.js";
import { loadConfig } from "../../shared/config.js";
import type { DeploymentReady } from "../../shared/contracts.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { Topic } from "../../shared/topology.js";
import { withoutRolloutSteps } from "../support/example-config.js";
import { startLocalServers, type TestServers } from "../support/local-servers.js";
import { pushEnvelope } from "../support/push-envelope.js";
import { RecordingPublisher } from "../support/recording-publisher.js";
import { deployCanary, type VertexFixture, vertexFixture } from "../support/vertex-fixture.js";

/**
 * verifyDeployment through the real PredictionServiceClient (and ModelServiceClient, to find the serving version
 * by its label) against the local Vertex AI server, with the example model trained for real: a model trained on
 * the normal data passes as a canary next to the serving one; a model trained on the shifted data fails.
 */

const servingCommit = "a000000000000000000000000000000000000001";
const goodCommit = "b000000000000000000000000000000000000002";
const shiftedCommit = "c000000000000000000000000000000000000003";
const routedCommit = "d000000000000000000000000000000000000004";

let servers: TestServers;
let vertex: VertexFixture;

beforeAll(async () => {
  // The single canary's point gates; the rollout in steps is e2e-rollout-steps.test.ts.
  servers = await startLocalServers({ config: withoutRolloutSteps(loadConfig({})) });
  vertex = vertexFixture(servers);
  for (const [commit, data] of [
    [servingCommit, EXAMPLE_OBJECTS.train],
    [goodCommit, EXAMPLE_OBJECTS.train],
    [shiftedCommit, EXAMPLE_OBJECTS.trainShifted],
    [routedCommit, EXAMPLE_OBJECTS.train],
  ] as const) {
    await vertex.trainOn(commit, data);
  }
}, 60_000);

afterAll(async () => {
  await vertex?.close();
  await servers?.close();
});

/** An endpoint where the serving model has 90 % and the candidate 10 %, as deployModel leaves it. */
async function canaryEndpoint(
  name: string,
  candidateCommit: string,
  candidateExplanationSpec?: object,
): Promise<DeploymentReady> {
  return deployCanary(vertex, {
    endpoint: await vertex.newEndpoint(name),
    serving: { commit: servingCommit, version: await vertex.upload(servingCommit) },
    candidate: { commit: candidateCommit, version: await vertex.upload(candidateCommit) },
    correlationId: `corr-${candidateCommit.slice(0, 7)}`,
    causeId: "m-0",
    explanationSpec: candidateExplanationSpec,
  });
}

async function verify(
  message: DeploymentReady,
): Promise<{ publisher: RecordingPublisher; report: VerificationReport }> {
  const publisher = new RecordingPublisher();
  const runtime = { ...servers.runtime(), publisher };
  const handler = pubsubFunction(verifyDeploymentStep(verifyDeploymentAdapters), () => runtime);
  await handler(
    pushEnvelope(Topic.deploymentReady, message, { messageId: `m-${message.commit.slice(0, 7)}` }),
  );
  const [bytes] = await vertex.storage
    .bucket(runtime.config.bucket)
    .file(`reports/${MODEL_NAME}/${message.commit}/report.json`)
    .download();
  return { publisher, report: JSON.parse(bytes.toString("utf8")) as VerificationReport };
}

describe("verifyDeployment against the local Vertex AI endpoint", () => {
  it("passes a canary trained on the normal data, scoring only its own answers", async () => {
    const message = await canaryEndpoint("verify-good", goodCommit);
    const predictionCalls = () =>
      servers.vertex.requestLog.filter((r) => r.method === "Predict" || r.method === "Explain").length;
    const predictsBefore = predictionCalls();
    const { publisher, report } = await verify(message);

    const [completed] = publisher.on(Topic.verificationCompleted);
    expect(completed?.verdict, completed?.reasons.join("; ")).toBe("pass");
    expect(completed?.metrics.scored).toBe(1_000);
    expect(completed?.metrics.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(completed?.metrics.drift).toBeLessThan(0.1);
    expect(report.serving).toMatchObject({ commit: servingCommit, source: "model-labels" });
    expect(report.scoring.responsesByDeployedModel[message.deployedModelId]).toBe(10);
    const servingAnswers =
      report.scoring.responsesByDeployedModel[message.previousDeployedModelId ?? ""] ?? 0;
    expect(servingAnswers).toBeGreaterThan(0);
    // Every Predict (or Explain probe) the server saw was one the step counted; none went uncounted or was invented.
    expect(predictionCalls() - predictsBefore).toBe(report.scoring.requests);
    // The candidate has no explanation spec: the first probes are refused, then the traffic split decides.
    expect(report.scoring.routedRequests).toBeGreaterThan(0);
    expect(report.scoring.requests).toBe(10 + servingAnswers + report.scoring.routedRequests);
    expect(report.scoring.instancesServedByOthers).toBe(servingAnswers * 100);
    expect(report.scoring.instancesPerScoredRow).toBeGreaterThan(1);

    const ledger = await servers.runtime().ledger.read(MODEL_NAME, goodCommit);
    // The verdict, then the verification commit status handed to notifyGithub.
    expect(ledger.map((r) => r.action)).toEqual(["verification-completed", "github-notification-requested"]);
    const [html] = await vertex.storage
      .bucket(servers.runtime().config.bucket)
      .file(`reports/${MODEL_NAME}/${goodCommit}/report.html`)
      .download();
    expect(html.toString()).toContain("<svg");
  }, 30_000);

  it("sends each golden batch once, to the candidate by its deployed model id, when it supports Explain", async () => {
    const explanationSpec = {
      parameters: { sampledShapleyAttribution: { pathCount: 1 } },
      metadata: { inputs: { features: {} }, outputs: { score: {} } },
    };
    const message = await canaryEndpoint("verify-routed", routedCommit, explanationSpec);
    const before = servers.vertex.requestLog.length;
    const { publisher, report } = await verify(message);

    const [completed] = publisher.on(Topic.verificationCompleted);
    expect(completed?.verdict, completed?.reasons.join("; ")).toBe("pass");
    expect(completed?.metrics.scored).toBe(1_000);
    expect(report.scoring).toMatchObject({
      requests: 10,
      routedRequests: 10,
      resends: 0,
      instancesPerScoredRow: 1,
      instancesServedByOthers: 0,
      responsesByDeployedModel: { [message.deployedModelId]: 10 },
    });
    const calls = servers.vertex.requestLog.slice(before);
    expect(calls.filter((r) => r.method === "Explain")).toHaveLength(10);
    expect(calls.filter((r) => r.method === "Predict")).toHaveLength(0);
    // Production traffic was not touched to get there.
    const [endpoint] = await vertex.endpoints.getEndpoint({ name: message.endpoint });
    expect(endpoint.trafficSplit).toEqual({
      [message.previousDeployedModelId ?? ""]: 90,
      [message.deployedModelId]: 10,
    });
  }, 30_000);

  it("fails a canary trained on the shifted data", async () => {
    const message = await canaryEndpoint("verify-shifted", shiftedCommit);
    const { publisher, report } = await verify(message);
    const [completed] = publisher.on(Topic.verificationCompleted);
    expect(completed?.verdict).toBe("fail");
    expect(completed?.metrics.scored).toBe(1_000);
    expect(report.checks.filter((c) => !c.passed).length).toBeGreaterThan(0);
    expect(completed?.reportUri).toBe(
      `gs://${servers.runtime().config.bucket}/reports/${MODEL_NAME}/${shiftedCommit}/report.json`,
    );
  }, 30_000);
});
