import type { DeploymentReady, Verdict } from "../../shared/contracts.js";
import type { DriftMetricName } from "../../shared/drift-metrics.js";
import type { BadLine } from "./golden-stream.js";
import type { StepSummary } from "./report-steps.js";
import type { DistributionPair } from "./report-svg.js";
import type { ScoringSummary } from "./score-candidate.js";
import type { Check } from "./verdict.js";

/** The verification report, written as `reports/<model>/<commit>/report.json` (and rendered as report.html). */
export interface VerificationReport {
  schemaVersion: 1;
  model: string;
  commit: string;
  repository: string;
  correlationId: string;
  createdAt: string;
  deployment: {
    endpoint: string;
    modelResource: string;
    versionId: string;
    deployedModelId: string;
    canaryPercent: number;
    previousDeployedModelId?: string;
    rolloutStep?: number;
  };
  verdict: Verdict;
  reasons: string[];
  checks: Check[];
  /** The numbers published in verification-completed. */
  metrics: Record<string, number>;
  settings: {
    minAccuracy: number;
    maxAccuracyDrop: number;
    minCoverage: number;
    driftMetric: DriftMetricName;
    driftThreshold: number;
    batchSize: number;
    concurrency: number;
    maxRequests: number;
    /** A rollout step's sample (the first N golden lines) and the confidence of its intervals. */
    sampleSize?: number;
    confidence?: number;
  };
  goldenSet: { uri: string; lines: number; examples: number; badLines: number; badLineSamples: BadLine[] };
  candidate: { scored: number; correct: number; unreadable: number; outputKey: string };
  scoring: ScoringSummary;
  drift: {
    metric: DriftMetricName;
    value: number | null;
    threshold: number;
    distributions: DistributionPair;
  };
  serving: {
    deployedModelId: string;
    commit?: string;
    versionId?: string;
    source?: string;
    recordedAccuracy?: number;
    /** Accuracy of the serving version on the golden batches it happened to answer (informational). */
    observedAccuracy?: number;
    observedScored?: number;
    problem?: string;
  } | null;
  /** A rollout in steps: the steps verified before this one, oldest first (this one is the report itself). */
  earlierSteps?: StepSummary[];
}

/**
 * Where a model commit's verification report lives in the artifact bucket: the first rollout step's (the single
 * canary's) under the commit, each later step's under `step-<n>/` beside it.
 */
export function reportObjectNames(model: string, commit: string, step = 0): { json: string; html: string } {
  const base = `reports/${model}/${commit}/${step > 0 ? `step-${step}/` : ""}`;
  return { json: `${base}report.json`, html: `${base}report.html` };
}

/** The deployment fields of a deployment-ready message, as the report records them. */
export function deploymentOf(message: DeploymentReady): VerificationReport["deployment"] {
  return {
    endpoint: message.endpoint,
    modelResource: message.modelResource,
    versionId: message.versionId,
    deployedModelId: message.deployedModelId,
    canaryPercent: message.canaryPercent,
    ...(message.previousDeployedModelId === undefined
      ? {}
      : { previousDeployedModelId: message.previousDeployedModelId }),
    ...(message.rolloutStep === undefined ? {} : { rolloutStep: message.rolloutStep }),
  };
}
