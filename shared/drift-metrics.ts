import { jensenShannonDivergence, lInfinityDistance } from "./drift.js";
import { ConfigError } from "./errors.js";

/**
 * The one registry of drift metrics (docs/verification.md). The configuration's `verification.drift.metric` enum
 * and the `DriftMetricName` type are derived from it, so adding a metric is one entry here plus its tests.
 */
export interface DriftMetricSpec {
  /** How reports name it. */
  displayName: string;
  /** True when every value lies in [0, 1]; a bounded metric's threshold may not exceed 1, an unbounded one's may. */
  bounded: boolean;
  /** Drift of the observed counts from the baseline counts over the same bins (or categories, in one order). */
  compute(baseline: ArrayLike<number>, observed: ArrayLike<number>): number;
}

export const driftMetrics = {
  "jensen-shannon": {
    displayName: "Jensen-Shannon divergence",
    bounded: true,
    compute: jensenShannonDivergence,
  },
  "l-infinity": {
    displayName: "L-infinity distance",
    bounded: true,
    compute: lInfinityDistance,
  },
} as const satisfies Record<string, DriftMetricSpec>;

export type DriftMetricName = keyof typeof driftMetrics;

/** Every registered metric name, in registry order (the first is the default); a non-empty tuple for `z.enum`. */
export const driftMetricNames = Object.keys(driftMetrics) as [DriftMetricName, ...DriftMetricName[]];

/** The metric a model uses when its configuration names none: Model Monitoring's choice for numeric values. */
export const defaultDriftMetric: DriftMetricName = "jensen-shannon";

/** The registered metric of that name; an unknown name is a ConfigError listing the known ones, never a fallback. */
export function driftMetric(name: string): DriftMetricSpec {
  if (!Object.hasOwn(driftMetrics, name)) {
    throw new ConfigError(`unknown drift metric "${name}" (known: ${driftMetricNames.join(", ")})`);
  }
  return driftMetrics[name as DriftMetricName];
}

/**
 * What is wrong with a threshold for a metric, or undefined when it is usable: it must be a finite number ≥ 0,
 * and at most 1 for a bounded metric (above 1 the check could never fail). An unbounded metric takes any finite
 * threshold ≥ 0.
 */
export function driftThresholdIssue(metric: DriftMetricSpec, threshold: number): string | undefined {
  if (!Number.isFinite(threshold) || threshold < 0) {
    return `the drift threshold must be a finite number ≥ 0, got ${threshold}`;
  }
  if (metric.bounded && threshold > 1) {
    return `${metric.displayName} lies in [0, 1], so a threshold of ${threshold} could never fail`;
  }
  return undefined;
}

/** Each model's drift threshold that does not suit its metric, as configuration issues (path and message). */
export function driftThresholdIssues(
  models: Readonly<
    Record<string, { verification: { drift: { metric: DriftMetricName; threshold: number } } }>
  >,
): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  for (const [name, model] of Object.entries(models)) {
    const drift = model.verification.drift;
    const message = driftThresholdIssue(driftMetrics[drift.metric], drift.threshold);
    if (message) issues.push({ path: `models.${name}.verification.drift.threshold`, message });
  }
  return issues;
}

/**
 * Whether a measured drift is within the threshold (inclusive). A value that is not a finite number — an unbounded
 * metric's infinity when the candidate puts weight where the baseline has none, say — is never within it.
 */
export function driftWithinThreshold(value: number, threshold: number): boolean {
  return Number.isFinite(value) && value <= threshold;
}
