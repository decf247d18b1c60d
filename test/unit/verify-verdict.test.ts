import { describe, expect, it } from "vitest";
import { coverageOf, decideVerdict, type VerdictInput } from "../../functions/verify-deployment/verdict.js";

const passing: VerdictInput = {
  goldenLines: 1_000,
  scored: 1_000,
  accuracy: 0.9,
  minAccuracy: 0.85,
  servingAccuracy: 0.91,
  maxAccuracyDrop: 0.03,
  driftMetric: "jensen-shannon",
  drift: 0.02,
  driftThreshold: 0.1,
};

describe("decideVerdict", () => {
  it.each<[string, Partial<VerdictInput>, "pass" | "fail", string[]]>([
    ["everything within limits", {}, "pass", []],
    ["accuracy exactly at the minimum", { accuracy: 0.85, servingAccuracy: 0.87 }, "pass", []],
    ["accuracy below the minimum", { accuracy: 0.84, servingAccuracy: undefined }, "fail", ["accuracy"]],
    ["accuracy drop above the limit", { accuracy: 0.87, servingAccuracy: 0.91 }, "fail", ["accuracy-drop"]],
    ["accuracy drop exactly at the limit", { accuracy: 0.88, servingAccuracy: 0.91 }, "pass", []],
    ["a better candidate (negative drop)", { accuracy: 0.95 }, "pass", []],
    ["no serving version: no drop check", { accuracy: 0.86, servingAccuracy: undefined }, "pass", []],
    ["drift above the threshold", { drift: 0.11 }, "fail", ["drift"]],
    ["drift exactly at the threshold", { drift: 0.1 }, "pass", []],
    ["drift not measurable", { drift: undefined }, "fail", ["drift"]],
    ["94.9 % of the golden set scored", { scored: 949 }, "fail", ["coverage"]],
    ["95 % of the golden set scored", { scored: 950 }, "pass", []],
    [
      "an empty golden set",
      { goldenLines: 0, scored: 0, accuracy: undefined, drift: undefined },
      "fail",
      ["coverage", "accuracy", "drift"],
    ],
    [
      "several failures at once",
      { scored: 10, accuracy: 0.5, drift: 0.5 },
      "fail",
      ["coverage", "accuracy", "accuracy-drop", "drift"],
    ],
  ])("%s → %s", (_, change, verdict, failed) => {
    const result = decideVerdict({ ...passing, ...change });
    expect(result.verdict).toBe(verdict);
    expect(result.checks.filter((c) => !c.passed).map((c) => c.name)).toEqual(failed);
    if (verdict === "fail") expect(result.reasons).toHaveLength(failed.length);
    else expect(result.reasons).toHaveLength(result.checks.length);
  });

  it("says in each reason what was measured and what the limit is", () => {
    const { reasons } = decideVerdict({ ...passing, accuracy: 0.8, servingAccuracy: 0.9, drift: 0.2 });
    expect(reasons).toEqual([
      "accuracy 0.8000 < minimum 0.8500",
      "accuracy drop 0.1000 against the serving version's 0.9000 > the allowed 0.0300",
      "jensen-shannon drift 0.2000 > threshold 0.1000",
    ]);
  });

  it("leaves the drop check out when there is no serving version", () => {
    const { checks } = decideVerdict({ ...passing, servingAccuracy: undefined });
    expect(checks.map((c) => c.name)).toEqual(["coverage", "accuracy", "drift"]);
  });
});

describe("coverageOf", () => {
  it("is 0 for an empty golden set rather than NaN", () => {
    expect(coverageOf(0, 0)).toBe(0);
    expect(coverageOf(3, 4)).toBe(0.75);
  });
});
