import { Verdict } from "../../shared/contracts.js";
import { type DriftMetricName, driftWithinThreshold } from "../../shared/drift-metrics.js";

/**
 * The verification verdict, as pure rules (docs/verification.md). A candidate fails when any of these holds:
 *  1. coverage: fewer than `minCoverage` (95 %) of the golden set's lines were scored from the candidate's own
 *     answers — too little evidence to judge (bad golden lines count against coverage);
 *  2. accuracy: accuracy on the golden set < `minAccuracy`;
 *  3. accuracy drop: a serving version with recorded accuracy exists and recorded − candidate > `maxAccuracyDrop`;
 *  4. drift: the drift of the candidate's outputs from its training baseline > `driftThreshold`, or no drift
 *     could be measured.
 * Otherwise it passes. Every check is reported, passed or not.
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
  const failed = checks.filter((c) => !c.passed);
  return failed.length > 0
    ? { verdict: Verdict.fail, reasons: failed.map((c) => c.detail), checks }
    : { verdict: Verdict.pass, reasons: checks.map((c) => c.detail), checks };
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

function accuracyCheck({ accuracy, minAccuracy }: VerdictInput): Check {
  if (accuracy === undefined) {
    return {
      name: CheckName.accuracy,
      passed: false,
      detail: "accuracy could not be measured: the candidate answered no golden example",
    };
  }
  const passed = accuracy >= minAccuracy;
  return {
    name: CheckName.accuracy,
    passed,
    detail: `accuracy ${fixed(accuracy)} ${passed ? "≥" : "<"} minimum ${fixed(minAccuracy)}`,
  };
}

function accuracyDropCheck({ accuracy, servingAccuracy, maxAccuracyDrop }: VerdictInput): Check | undefined {
  if (servingAccuracy === undefined || accuracy === undefined) return undefined;
  const drop = servingAccuracy - accuracy;
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

function fixed(value: number): string {
  return value.toFixed(4);
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}
