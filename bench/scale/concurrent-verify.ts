// N models verifying at once against one local Vertex AI: each has its own endpoint with the serving version at
// 90 % and its candidate at 10 %, and its own golden set stream; all N verifyDeployment runs start together.
// Run twice: candidates without an explanation spec (Predict by the traffic split, re-sending), and with one
// (Explain with the candidate's deployed model id, one request per batch).
import { MODEL_NAME } from "../../examples/fraud-detector/seed-data.js";
import { verifyDeploymentAdapters } from "../../functions/verify-deployment/adapters.js";
import type { VerificationReport } from "../../functions/verify-deployment/report.js";
import { verifyDeploymentStep } from "../../functions/verify-deployment/step.js";
import type { DeploymentReady } from "../../shared/contracts.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { Topic } from "../../shared/topology.js";
import type { TestServers } from "../../test/support/local-servers.js";
import { pushEnvelope } from "../../test/support/push-envelope.js";
import { RecordingPublisher } from "../../test/support/recording-publisher.js";
import { deployCanary, type VertexFixture } from "../../test/support/vertex-fixture.js";
import { load1 } from "./machine.js";

export interface VerifyRow {
  routing: "traffic split" | "deployed model id";
  models: number;
  wallMs: number;
  perMinute: number;
  slowestMs: number;
  fastestMs: number;
  requests: number;
  instancesPerScoredRow: number;
  servedByOthers: number;
  verdicts: string;
  load: string;
}

const explanationSpec = {
  parameters: { sampledShapleyAttribution: { pathCount: 1 } },
  metadata: { inputs: { features: {} }, outputs: { score: {} } },
};

export async function benchConcurrentVerify(
  servers: TestServers,
  vertex: VertexFixture,
  options: { models: number; servingCommit: string; candidateCommit: string; routed: boolean; round: number },
): Promise<VerifyRow> {
  const servingVersion = await vertex.upload(options.servingCommit);
  const messages: DeploymentReady[] = [];
  for (let i = 0; i < options.models; i++) {
    const commit = `${options.round.toString(16)}${i.toString(16).padStart(3, "0")}${"c".repeat(36)}`;
    await vertex.train(commit, options.candidateCommit);
    messages.push(
      await deployCanary(vertex, {
        endpoint: await vertex.newEndpoint(`scale-verify-${options.round}-${i}`),
        serving: { commit: options.servingCommit, version: servingVersion },
        candidate: { commit, version: await vertex.upload(commit) },
        correlationId: `scale-${options.round}-${i}`,
        causeId: `m-${i}`,
        explanationSpec: options.routed ? explanationSpec : undefined,
      }),
    );
  }

  const runtime = servers.runtime();
  const quiet = { ...runtime, publisher: new RecordingPublisher() };
  const handler = pubsubFunction(verifyDeploymentStep(verifyDeploymentAdapters), () => quiet);
  const verify = async (message: DeploymentReady): Promise<number> => {
    const started = performance.now();
    // What the deployment-ready push subscription POSTs to verifyDeployment (shared/pubsub-push-handler.ts).
    await handler(pushEnvelope(Topic.deploymentReady, message, { messageId: `m-${message.commit}` }));
    return performance.now() - started;
  };

  const started = performance.now();
  const times = await Promise.all(messages.map(verify));
  const wallMs = performance.now() - started;

  const reports: VerificationReport[] = [];
  for (const message of messages) {
    const [bytes] = await vertex.storage
      .bucket(runtime.config.bucket)
      .file(`reports/${MODEL_NAME}/${message.commit}/report.json`)
      .download();
    reports.push(JSON.parse(bytes.toString("utf8")) as VerificationReport);
  }
  const sum = (f: (r: VerificationReport) => number) => reports.reduce((total, r) => total + f(r), 0);
  const verdicts = new Map<string, number>();
  for (const r of reports) verdicts.set(r.verdict, (verdicts.get(r.verdict) ?? 0) + 1);
  return {
    routing: options.routed ? "deployed model id" : "traffic split",
    models: options.models,
    wallMs,
    perMinute: (options.models / wallMs) * 60_000,
    slowestMs: Math.max(...times),
    fastestMs: Math.min(...times),
    requests: sum((r) => r.scoring.requests),
    instancesPerScoredRow:
      sum((r) => r.scoring.instancesSent) /
      Math.max(
        1,
        sum((r) => r.scoring.candidateInstances),
      ),
    servedByOthers: sum((r) => r.scoring.instancesServedByOthers),
    verdicts: [...verdicts].map(([v, n]) => `${n} ${v}`).join(", "),
    load: load1(),
  };
}
