import { Verdict } from "../../shared/contracts.js";
import { type DriftMetricName, driftWithinThreshold } from "../../shared/drift-metrics.js";
import { againstMinimum, type Interval, wilsonInterval } from "../../shared/intervals.js";

/**
 * The verification verdict, as pure rules (docs/verification.md). A candidate fails when any of these holds:
 *  1. coverage: fewer than `minCoverage` (95 %) of the golden set's lines were scored from the candidate's own
 *     answers — too little evidence to judge (bad golden lines count against coverage);
 *  2. accuracy: accuracy on the golden set < `minAccuracy`;
 *  3. accuracy drop: a serving version with recorded accuracy exists and recorded − candidate > `maxAccuracyDrop`;
 *  4. drift: the drift of the candidate's outputs from its training baseline > `driftThreshold`, or no drift
 *     could be measured.
 * Otherwise it passes. Every check is reported, passed or not.
 *
 * At a rollout step (`confidence` given) the two accuracy checks are judged by intervals instead of point values:
 * the Wilson interval of the candidate's accuracy, and for the drop the serving version's recorded accuracy minus
 * that interval (the recorded accuracy is a number from its own evaluation, not a sample here, so Newcombe's
 * interval for a difference reduces to this). A check whose interval straddles its limit is undecided; a verdict
 * with no failed check and an undecided one is `inconclusive`: the sample is too small to tell.
 */

/** The fraction of the golden set that must be scored from the candidate's answers. */
export const minCoverage = 0.95;

export interface VerdictInput {
  /** Non-blank golden lines, good and bad. */
  goldenLines: number;
  /** Golden examples scored from the candidate's answers. */
  scored: number;
  /** Undefined when nothing was scored. */
  accuracy: number | undefined;
  minAccuracy: number;
  /** The serving version's recorded accuracy; undefined when there is none to compare with. */
  servingAccuracy: number | undefined;
  maxAccuracyDrop: number;
  driftMetric: DriftMetricName;
  /** Undefined when no output could be measured. */
  drift: number | undefined;
  driftThreshold: number;
  /** Correct answers among `scored` (for the interval). */
  correct?: number;
  /** The confidence of the accuracy intervals at a rollout step; absent: point values, no inconclusive. */
  confidence?: number;
}

export const CheckName = {
  coverage: "coverage",
  accuracy: "accuracy",
  accuracyDrop: "accuracy-drop",
  drift: "drift",
} as const;
export type CheckName = (typeof CheckName)[keyof typeof CheckName];

export interface Check {
  name: CheckName;
  passed: boolean;
  /** One sentence with the measured value and the limit. */
  detail: string;
  /** The sample could not decide: the interval straddles the limit (never together with `passed`). */
  undecided?: boolean;
  /** The interval the check was judged by, when it was. */
  interval?: Interval;
}

/** The verdict with its reasons and every check made. */
export interface Decision {
  verdict: Verdict;
  /** The failed checks' details on a fail; every check's detail on a pass. */
  reasons: string[];
  checks: Check[];
}

/** Applies the verdict rules to measured values. */
export function decideVerdict(input: VerdictInput): Decision {
  const checks: Check[] = [coverageCheck(input), accuracyCheck(input)];
  const drop = accuracyDropCheck(input);
  if (drop) checks.push(drop);
  checks.push(driftCheck(input));
  const failed = checks.filter((c) => !c.passed && !c.undecided);
  const undecided = checks.filter((c) => c.undecided);
  if (failed.length > 0) return { verdict: Verdict.fail, reasons: failed.map((c) => c.detail), checks };
  if (undecided.length > 0) {
    return { verdict: Verdict.inconclusive, reasons: undecided.map((c) => c.detail), checks };
  }
  return { verdict: Verdict.pass, reasons: checks.map((c) => c.detail), checks };
}

/** The accuracy intervals a rollout step was judged by, as metrics (`accuracyLower`, `accuracyDropUpper`…). */
export function intervalMetrics(decision: Decision): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const check of decision.checks) {
    if (!check.interval) continue;
    const key = check.name === "accuracy" ? "accuracy" : "accuracyDrop";
    metrics[`${key}Lower`] = check.interval.lower;
    metrics[`${key}Upper`] = check.interval.upper;
    metrics.confidence = check.interval.confidence;
  }
  return metrics;
}

/** scored / goldenLines, 0 for an empty golden set. */
export function coverageOf(scored: number, goldenLines: number): number {
  return goldenLines === 0 ? 0 : scored / goldenLines;
}

function coverageCheck({ goldenLines, scored }: VerdictInput): Check {
  if (goldenLines === 0) {
    return { name: CheckName.coverage, passed: false, detail: "the golden set holds no examples" };
  }
  const coverage = coverageOf(scored, goldenLines);
  const passed = coverage >= minCoverage;
  return {
    name: CheckName.coverage,
    passed,
    detail: `${scored} of ${goldenLines} golden examples scored from the candidate (${percent(coverage)}) ${passed ? "≥" : "<"} the required ${percent(minCoverage)}`,
  };
}

function accuracyCheck(input: VerdictInput): Check {
  const { accuracy, minAccuracy } = input;
  if (accuracy === undefined) {
    return {
      name: CheckName.accuracy,
      passed: false,
      detail: "accuracy could not be measured: the candidate answered no golden example",
    };
  }
  const interval = accuracyInterval(input);
  if (interval) {
    const where = againstMinimum(interval, minAccuracy);
    const text = `accuracy ${fixed(accuracy)}, ${intervalText(interval)},`;
    const relation = { above: "≥", below: "<", straddles: "straddles" }[where];
    return {
      name: CheckName.accuracy,
      passed: where === "above",
      ...(where === "straddles" ? { undecided: true } : {}),
      interval,
      detail: `${text} ${relation} minimum ${fixed(minAccuracy)}`,
    };
  }
  const passed = accuracy >= minAccuracy;
  return {
    name: CheckName.accuracy,
    passed,
    detail: `accuracy ${fixed(accuracy)} ${passed ? "≥" : "<"} minimum ${fixed(minAccuracy)}`,
  };
}

function accuracyDropCheck(input: VerdictInput): Check | undefined {
  const { accuracy, servingAccuracy, maxAccuracyDrop } = input;
  if (servingAccuracy === undefined || accuracy === undefined) return undefined;
  const drop = servingAccuracy - accuracy;
  const candidate = accuracyInterval(input);
  if (candidate) {
    const interval = {
      lower: servingAccuracy - candidate.upper,
      upper: servingAccuracy - candidate.lower,
      confidence: candidate.confidence,
    };
    const within = interval.upper <= maxAccuracyDrop + 1e-12;
    const beyond = interval.lower > maxAccuracyDrop + 1e-12;
    const relation = within ? "≤" : beyond ? ">" : "straddles";
    return {
      name: CheckName.accuracyDrop,
      passed: within,
      ...(!within && !beyond ? { undecided: true } : {}),
      interval,
      detail: `accuracy drop ${fixed(drop)} against the serving version's ${fixed(servingAccuracy)}, ${intervalText(interval)}, ${relation} the allowed ${fixed(maxAccuracyDrop)}`,
    };
  }
  const passed = drop <= maxAccuracyDrop + 1e-12;
  return {
    name: CheckName.accuracyDrop,
    passed,
    detail: `accuracy drop ${fixed(drop)} against the serving version's ${fixed(servingAccuracy)} ${passed ? "≤" : ">"} the allowed ${fixed(maxAccuracyDrop)}`,
  };
}

function driftCheck({ drift, driftMetric, driftThreshold }: VerdictInput): Check {
  if (drift === undefined) {
    return {
      name: CheckName.drift,
      passed: false,
      detail: `${driftMetric} drift could not be measured: no candidate output to compare with the baseline`,
    };
  }
  const passed = driftWithinThreshold(drift, driftThreshold);
  return {
    name: CheckName.drift,
    passed,
    detail: `${driftMetric} drift ${fixed(drift)} ${passed ? "≤" : ">"} threshold ${fixed(driftThreshold)}`,
  };
}

/** The candidate's accuracy interval, when the step decides by intervals and the counts are there. */
function accuracyInterval({ confidence, correct, scored }: VerdictInput): Interval | undefined {
  if (confidence === undefined || correct === undefined || scored === 0) return undefined;
  return wilsonInterval(correct, scored, confidence);
}

function intervalText(interval: Interval): string {
  return `${Math.round(interval.confidence * 100)} % interval [${fixed(interval.lower)}, ${fixed(interval.upper)}]`;
}

function fixed(value: number): string {
  return value.toFixed(4);
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}
