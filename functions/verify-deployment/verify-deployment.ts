import type { ModelConfig } from "../../shared/config-schema.js";
import type { Cause, DeploymentReady, Verdict, VerificationCompleted } from "../../shared/contracts.js";
import { followUp } from "../../shared/contracts.js";
import { describeError } from "../../shared/errors.js";
import { Outcome } from "../../shared/ledger.js";
import { VerifyAction } from "../../shared/ledger-actions.js";
import type { Logger } from "../../shared/logger.js";
import type { Manifest } from "../../shared/manifest.js";
import type { EndpointDeployer, ModelRegistry } from "../../shared/model-ports.js";
import type { BlobStore, Publisher } from "../../shared/ports.js";
import type { StepContext } from "../../shared/pubsub-function.js";
import { Topic } from "../../shared/topology.js";
import type { ServingPredictor } from "../../shared/vertex/prediction-adapter.js";
import { readCandidateManifest } from "./candidate-manifest.js";
import { type GoldenExample, type GoldenTally, newGoldenTally, streamGoldenSet } from "./golden-stream.js";
import { ModelMeasure } from "./model-measure.js";
import { reportObjectNames } from "./report.js";
import { buildReport } from "./report-build.js";
import { renderReportHtml } from "./report-html.js";
import { earlierSteps } from "./report-steps.js";
import { type ScoringSummary, scoreCandidate, sendsPerBatchBound } from "./score-candidate.js";
import { findServingVersion, type ServingVersion } from "./serving-version.js";
import { startEarly } from "./start-early.js";
import { coverageOf, type Decision, decideVerdict, intervalMetrics } from "./verdict.js";

/** What verification needs besides its message; Vertex AI ports are functions so they are created on first use. */
export interface VerifyDeps {
  blobs: BlobStore;
  publisher: Publisher;
  predictor: () => ServingPredictor;
  registry: () => Pick<ModelRegistry, "getVersion">;
  endpoints: () => Pick<EndpointDeployer, "getEndpoint">;
  record: StepContext["record"];
  logger: Logger;
  cause: Cause;
  now?: () => Date;
  /** Wait before retrying a transient Predict error (tests pass a no-op). */
  sleep?: (attempt: number) => Promise<void>;
}

/** The model's verification settings, with the rollout step's sample size and confidence when it has steps. */
export type VerificationSettings = ModelConfig["verification"] & { sampleSize?: number; confidence?: number };

export interface VerifyOutcome {
  verdict: Verdict;
  reasons: string[];
  metrics: Record<string, number>;
  reportUri: string;
}

/** What scoring the golden set through the endpoint measured. */
export interface Measured {
  manifest: Manifest;
  candidate: ModelMeasure;
  /** The serving version's answers, when there is one to compare with (informational). */
  servingObserved: ModelMeasure | undefined;
  tally: GoldenTally;
  scoring: ScoringSummary;
}

/**
 * Verifies the canary of a deployment-ready message: streams the golden set through the live endpoint, scores
 * only the candidate's answers, compares with the serving version's recorded accuracy and the candidate's
 * training baseline, writes the report, records one ledger entry, and publishes verification-completed.
 */
export async function verifyDeployment(
  message: DeploymentReady,
  settings: VerificationSettings,
  deps: VerifyDeps,
): Promise<VerifyOutcome> {
  const now = deps.now ?? (() => new Date());
  // The serving version is looked up after scoring, not beside it: overlapped with a golden stream that a step's
  // sample size ends early, its reads failed with "socket hang up" on the local storage server
  // (test/integration/e2e-rollout-steps.test.ts), and a transient failure there costs the whole verification.
  const measured = await measure(message, settings, deps);
  const serving = await servingVersionOf(message, measured, deps);
  const { scoring, tally } = measured;
  const { decision, metrics, drift } = judge(measured, serving, settings);

  const names = reportObjectNames(message.model, message.commit, message.rolloutStep);
  const reportUri = `gs://${deps.blobs.bucket}/${names.json}`;
  const report = buildReport({
    message,
    settings,
    measured,
    serving,
    decision,
    metrics,
    drift,
    bucket: deps.blobs.bucket,
    createdAt: now(),
  });
  if (message.rolloutStep) report.earlierSteps = await readEarlierSteps(message, deps);
  // The record the URI points at and its rendering, written side by side (a failed write fails the step, and the
  // redelivery writes both again from a fresh verification).
  await Promise.all([
    deps.blobs.write(names.json, `${JSON.stringify(report, null, 2)}\n`, {
      contentType: "application/json",
    }),
    deps.blobs.write(names.html, renderReportHtml(report), { contentType: "text/html; charset=utf-8" }),
  ]);

  const previousId = message.previousDeployedModelId;
  const completed: VerificationCompleted = {
    ...followUp(message, deps.cause, now()),
    endpoint: message.endpoint,
    modelResource: message.modelResource,
    versionId: message.versionId,
    deployedModelId: message.deployedModelId,
    canaryPercent: message.canaryPercent,
    previousTrafficSplit: message.previousTrafficSplit,
    ...(previousId === undefined ? {} : { previousDeployedModelId: previousId }),
    ...(message.rolloutStep === undefined ? {} : { rolloutStep: message.rolloutStep }),
    ...(message.release ? { release: message.release } : {}),
    verdict: decision.verdict,
    reasons: decision.reasons.slice(0, 50),
    metrics,
    reportUri,
  };
  const messageId = await deps.publisher.publish(Topic.verificationCompleted, completed);

  // One record for the whole run: Predict calls are far too many to ledger one by one.
  await deps.record({
    action: VerifyAction.verificationCompleted,
    outcome: Outcome.succeeded,
    details: {
      step: message.rolloutStep ?? 0,
      verdict: decision.verdict,
      reasons: decision.reasons,
      reportUri,
      publishedMessageId: messageId,
      requests: scoring.requests,
      instancesSent: scoring.instancesSent,
      responsesByDeployedModel: scoring.responsesByDeployedModel,
      unscoredInstances: scoring.unscoredInstances,
      failedRequests: scoring.failedRequests,
      ...(scoring.firstError ? { firstError: scoring.firstError } : {}),
      badGoldenLines: tally.badLines,
      metrics,
    },
  });
  deps.logger.info(`verification ${decision.verdict} for deployed model ${message.deployedModelId}`, {
    verdict: decision.verdict,
    reasons: decision.reasons,
    reportUri,
    requests: scoring.requests,
  });
  return { verdict: decision.verdict, reasons: decision.reasons, metrics, reportUri };
}

/** The rollout's steps before this one, for the reader: failing to read them must not fail this step's verdict. */
function readEarlierSteps(message: DeploymentReady, deps: VerifyDeps) {
  return earlierSteps(deps.blobs, message).catch((error: unknown) => {
    deps.logger.warn("could not read the earlier rollout steps' reports", { error: describeError(error) });
    return [];
  });
}

/** Streams the golden set through the endpoint, scoring the candidate's answers (and noting the serving one's). */
async function measure(
  message: DeploymentReady,
  settings: VerificationSettings,
  deps: VerifyDeps,
): Promise<Measured> {
  const tally = newGoldenTally();
  // The golden set's stream opens while the manifest is read (one round trip each, independent).
  const golden = startEarly(streamGoldenSet(deps.blobs, settings.goldenSet, tally, settings.sampleSize));
  const manifest = await readCandidateManifest(deps.blobs, message).catch(async (error: unknown) => {
    await golden.close();
    throw error;
  });
  const outputKey = manifest.serving.outputKey;
  const candidate = new ModelMeasure(manifest.baseline, outputKey);
  const previousId = message.previousDeployedModelId;
  const servingObserved = previousId ? new ModelMeasure(manifest.baseline, outputKey) : undefined;

  const scoring = await scoreCandidate<GoldenExample>(
    golden.items,
    instanceSender(deps.predictor()),
    {
      endpoint: message.endpoint,
      candidateDeployedModelId: message.deployedModelId,
      batchSize: settings.batchSize,
      concurrency: settings.concurrency,
      maxResends: settings.maxRequests,
      maxSendsPerBatch: sendsPerBatchBound(message.canaryPercent),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    },
    {
      candidate: (examples, predictions) => candidate.observe(examples, predictions),
      other: (id, examples, predictions) => {
        if (id === previousId) servingObserved?.observe(examples, predictions);
      },
    },
  );
  return { manifest, candidate, servingObserved, tally, scoring };
}

/** The version that served before the canary, with its recorded metrics when they can be found. */
async function servingVersionOf(
  message: DeploymentReady,
  measured: Measured,
  deps: VerifyDeps,
): Promise<ServingVersion | undefined> {
  const previousId = message.previousDeployedModelId;
  if (!previousId) return undefined;
  const serving = await findServingVersion(
    {
      model: message.model,
      endpoint: message.endpoint,
      deployedModelId: previousId,
      observed: measured.scoring.servedBy[previousId],
    },
    deps,
  );
  if (serving.problem) deps.logger.warn(`accuracy-drop check skipped: ${serving.problem}`);
  return serving;
}

/** The verdict on what was measured, and the metrics that go into the report and the message. */
function judge(
  { candidate, servingObserved, tally, scoring }: Measured,
  serving: ServingVersion | undefined,
  settings: VerificationSettings,
): { decision: Decision; metrics: Record<string, number>; drift: number | undefined } {
  const servingAccuracy = serving?.manifest?.metrics.accuracy;
  const accuracy = candidate.accuracy;
  const drift = candidate.outputs.drift(settings.drift.metric);
  const decision = decideVerdict({
    goldenLines: tally.lines,
    scored: candidate.scored,
    accuracy,
    minAccuracy: settings.minAccuracy,
    servingAccuracy,
    maxAccuracyDrop: settings.maxAccuracyDrop,
    driftMetric: settings.drift.metric,
    drift,
    driftThreshold: settings.drift.threshold,
    correct: candidate.correct,
    ...(settings.confidence === undefined ? {} : { confidence: settings.confidence }),
  });
  const metrics: Record<string, number> = {
    ...(accuracy === undefined ? {} : { accuracy }),
    coverage: coverageOf(candidate.scored, tally.lines),
    goldenLines: tally.lines,
    goldenExamples: tally.examples,
    badLines: tally.badLines,
    scored: candidate.scored,
    unreadablePredictions: candidate.unreadable,
    ...(drift === undefined ? {} : { drift }),
    driftThreshold: settings.drift.threshold,
    minAccuracy: settings.minAccuracy,
    ...(servingAccuracy === undefined ? {} : { servingAccuracy, maxAccuracyDrop: settings.maxAccuracyDrop }),
    ...(servingAccuracy === undefined || accuracy === undefined
      ? {}
      : { accuracyDrop: servingAccuracy - accuracy }),
    ...(servingObserved?.accuracy === undefined ? {} : { servingObservedAccuracy: servingObserved.accuracy }),
    requests: scoring.requests,
    resends: scoring.resends,
    ...intervalMetrics(decision),
  };
  return { decision, metrics, drift };
}

/** The golden examples are sent as their instances; the predictor sees only what the endpoint should. */
function instanceSender(predictor: ServingPredictor): ServingPredictor {
  const instancesOf = (examples: unknown[]) => (examples as GoldenExample[]).map((e) => e.instance);
  const { predictOn } = predictor;
  return {
    predict: (endpoint, examples) => predictor.predict(endpoint, instancesOf(examples)),
    ...(predictOn
      ? {
          predictOn: (endpoint: string, deployedModelId: string, examples: unknown[]) =>
            predictOn.call(predictor, endpoint, deployedModelId, instancesOf(examples)),
        }
      : {}),
  };
}
