/**
 * Confidence intervals for the accuracy gates of a rollout step. The normal quantile comes from @stdlib; the
 * Wilson score interval is its closed formula, a few lines that no small well-kept package offers on its own
 * (`wilson-score` on npm is an unmaintained ranking helper), so it is written here and tested against published
 * values (test/unit/intervals.test.ts).
 */
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";

export interface Interval {
  lower: number;
  upper: number;
  /** The two-sided confidence level, e.g. 0.95. */
  confidence: number;
}

/** The two-sided standard normal critical value for `confidence` (1.959964 for 0.95). */
export function criticalValue(confidence: number): number {
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2, 0, 1);
}

/**
 * The Wilson score interval for a proportion `successes / trials` (Wilson 1927; Newcombe 1998, method 3). Unlike
 * the normal approximation it stays inside [0, 1] and is honest for small samples and proportions near 0 or 1.
 */
export function wilsonInterval(successes: number, trials: number, confidence: number): Interval {
  if (
    !Number.isInteger(trials) ||
    trials < 1 ||
    !Number.isInteger(successes) ||
    successes < 0 ||
    successes > trials
  ) {
    throw new RangeError(
      `a proportion needs 0 ≤ successes ≤ trials and trials ≥ 1, got ${successes}/${trials}`,
    );
  }
  const z = criticalValue(confidence);
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half), confidence };
}

/** Where an interval stands against a lower limit: wholly at or above it, wholly below, or across it. */
export function againstMinimum(interval: Interval, minimum: number): "above" | "below" | "straddles" {
  if (interval.lower >= minimum) return "above";
  if (interval.upper < minimum) return "below";
  return "straddles";
}
