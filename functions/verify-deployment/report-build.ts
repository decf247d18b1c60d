import type { DeploymentReady } from "../../shared/contracts.js";
import type { Manifest } from "../../shared/manifest.js";
import type { ModelMeasure } from "./model-measure.js";
import { deploymentOf, type VerificationReport } from "./report.js";
import type { DistributionPair } from "./report-svg.js";
import type { ServingVersion } from "./serving-version.js";
import { type Decision, minCoverage } from "./verdict.js";
import type { Measured, VerificationSettings } from "./verify-deployment.js";

export interface ReportInput {
  message: DeploymentReady;
  settings: VerificationSettings;
  measured: Measured;
  serving: ServingVersion | undefined;
  decision: Decision;
  metrics: Record<string, number>;
  /** Undefined when no output could be measured. */
  drift: number | undefined;
  bucket: string;
  createdAt: Date;
}

/** The verification report (report.json) of one verification. */
export function buildReport(input: ReportInput): VerificationReport {
  const { message, settings, measured, serving, decision, metrics, drift, bucket } = input;
  const { manifest, candidate, servingObserved, tally, scoring } = measured;
  return {
    schemaVersion: 1,
    model: message.model,
    commit: message.commit,
    repository: message.repository,
    correlationId: message.correlationId,
    createdAt: input.createdAt.toISOString(),
    deployment: deploymentOf(message),
    verdict: decision.verdict,
    reasons: decision.reasons,
    checks: decision.checks,
    metrics,
    settings: {
      minAccuracy: settings.minAccuracy,
      maxAccuracyDrop: settings.maxAccuracyDrop,
      minCoverage,
      driftMetric: settings.drift.metric,
      driftThreshold: settings.drift.threshold,
      batchSize: settings.batchSize,
      concurrency: settings.concurrency,
      maxRequests: settings.maxRequests,
      ...(settings.sampleSize === undefined ? {} : { sampleSize: settings.sampleSize }),
      ...(settings.confidence === undefined ? {} : { confidence: settings.confidence }),
    },
    goldenSet: { uri: `gs://${bucket}/${settings.goldenSet}`, ...tally },
    candidate: {
      scored: candidate.scored,
      correct: candidate.correct,
      unreadable: candidate.unreadable,
      outputKey: manifest.serving.outputKey,
    },
    scoring,
    drift: {
      metric: settings.drift.metric,
      value: drift ?? null,
      threshold: settings.drift.threshold,
      distributions: distributionPair(manifest, candidate),
    },
    serving: serving ? servingSection(serving, servingObserved) : null,
  };
}

function distributionPair(manifest: Manifest, candidate: ModelMeasure): DistributionPair {
  const baseline = manifest.baseline;
  const observed = candidate.outputs.counts();
  return baseline.kind === "numeric"
    ? {
        kind: "numeric",
        binEdges: baseline.binEdges,
        baseline: baseline.counts,
        observed: observed as number[],
      }
    : { kind: "categorical", baseline: baseline.counts, observed: observed as Record<string, number> };
}

function servingSection(
  serving: ServingVersion,
  observed: ModelMeasure | undefined,
): NonNullable<VerificationReport["serving"]> {
  return {
    deployedModelId: serving.deployedModelId,
    ...(serving.commit ? { commit: serving.commit } : {}),
    ...(serving.versionId ? { versionId: serving.versionId } : {}),
    ...(serving.source ? { source: serving.source } : {}),
    ...(serving.manifest ? { recordedAccuracy: serving.manifest.metrics.accuracy } : {}),
    ...(observed?.accuracy === undefined
      ? {}
      : { observedAccuracy: observed.accuracy, observedScored: observed.scored }),
    ...(serving.problem ? { problem: serving.problem } : {}),
  };
}
