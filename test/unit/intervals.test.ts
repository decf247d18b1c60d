import { describe, expect, it } from "vitest";
import { againstMinimum, criticalValue, wilsonInterval } from "../../shared/intervals.js";

describe("confidence intervals", () => {
  it.each([
    [0.95, 1.959964],
    [0.9, 1.644854],
    [0.99, 2.575829],
  ])("the critical value at %s is %s", (confidence, z) => {
    expect(criticalValue(confidence)).toBeCloseTo(z, 5);
  });

  // Newcombe (1998), Table I, method 3 (score interval without continuity correction), 95 %.
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])("the Wilson interval of %i/%i is [%s, %s] as Newcombe tabulates", (k, n, lower, upper) => {
    const interval = wilsonInterval(k, n, 0.95);
    expect(interval.lower).toBeCloseTo(lower, 4);
    expect(interval.upper).toBeCloseTo(upper, 4);
  });

  it("narrows as the sample grows", () => {
    const small = wilsonInterval(9, 10, 0.95);
    const large = wilsonInterval(900, 1000, 0.95);
    expect(large.upper - large.lower).toBeLessThan(small.upper - small.lower);
  });

  it.each([
    [-1, 10],
    [11, 10],
    [0, 0],
    [1.5, 10],
  ])("refuses %s successes of %s trials", (k, n) => {
    expect(() => wilsonInterval(k, n, 0.95)).toThrow(/successes/);
  });

  it("refuses a confidence outside (0, 1)", () => {
    expect(() => criticalValue(1)).toThrow(/confidence/);
  });

  it("places an interval against a minimum", () => {
    expect(againstMinimum({ lower: 0.86, upper: 0.95, confidence: 0.95 }, 0.85)).toBe("above");
    expect(againstMinimum({ lower: 0.7, upper: 0.84, confidence: 0.95 }, 0.85)).toBe("below");
    expect(againstMinimum({ lower: 0.8, upper: 0.9, confidence: 0.95 }, 0.85)).toBe("straddles");
  });
});
