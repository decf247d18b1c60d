import type { DeploymentReady, Verdict } from "../../shared/contracts.js";
import type { BlobStore } from "../../shared/ports.js";
import { reportObjectNames, type VerificationReport } from "./report.js";

/** One verified rollout step as a later step's report shows it: share, sample, accuracy and its interval, verdict. */
export interface StepSummary {
  step: number;
  canaryPercent: number;
  verdict: Verdict;
  verifiedAt: string;
  /** Golden lines verified (the step's sample). */
  lines: number;
  accuracy?: number;
  accuracyLower?: number;
  accuracyUpper?: number;
  reportUri: string;
}

/** A step's summary from its own report. */
export function stepSummary(report: VerificationReport, bucket: string): StepSummary {
  const step = report.deployment.rolloutStep ?? 0;
  const { accuracy, accuracyLower, accuracyUpper } = report.metrics;
  return {
    step,
    canaryPercent: report.deployment.canaryPercent,
    verdict: report.verdict,
    verifiedAt: report.createdAt,
    lines: report.goldenSet.lines,
    ...(accuracy === undefined ? {} : { accuracy }),
    ...(accuracyLower === undefined ? {} : { accuracyLower }),
    ...(accuracyUpper === undefined ? {} : { accuracyUpper }),
    reportUri: `gs://${bucket}/${reportObjectNames(report.model, report.commit, step).json}`,
  };
}

/**
 * The steps this rollout verified before `message`'s, from their reports in the bucket (the same request only: a
 * report of an earlier promotion of the commit is not part of this rollout). At most 20 small reads.
 */
export async function earlierSteps(blobs: BlobStore, message: DeploymentReady): Promise<StepSummary[]> {
  const summaries: StepSummary[] = [];
  for (let step = 0; step < (message.rolloutStep ?? 0); step++) {
    const found = await blobs.read(reportObjectNames(message.model, message.commit, step).json);
    if (!found) continue;
    const report = JSON.parse(found.data.toString("utf8")) as VerificationReport;
    if (report.correlationId === message.correlationId) summaries.push(stepSummary(report, blobs.bucket));
  }
  return summaries;
}
