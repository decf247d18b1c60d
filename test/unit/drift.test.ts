import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CategoricalCounts,
  jensenShannonDivergence,
  lInfinityDistance,
  NumericHistogram,
} from "../../shared/drift.js";

describe("jensenShannonDivergence", () => {
  it("is 1 bit for disjoint distributions", () => {
    expect(jensenShannonDivergence([1, 0], [0, 1])).toBe(1);
    expect(jensenShannonDivergence([5, 0, 0], [0, 2, 3])).toBe(1);
  });

  it("is 0 for identical distributions, whatever the sample sizes", () => {
    expect(jensenShannonDivergence([3, 1, 0, 6], [3, 1, 0, 6])).toBe(0);
    expect(jensenShannonDivergence([1, 3], [2, 6])).toBeCloseTo(0, 15);
  });

  it("matches a hand-worked case: P = (1/2, 1/2), Q = (1/4, 3/4)", () => {
    // M = (3/8, 5/8); KL(P‖M) = ½log₂(4/3) + ½log₂(4/5); KL(Q‖M) = ¼log₂(2/3) + ¾log₂(6/5).
    expect(jensenShannonDivergence([1, 1], [1, 3])).toBeCloseTo(0.0487949406953985, 12);
  });

  it("handles a bin empty on one side: P = (1, 0), Q = (1/2, 1/2)", () => {
    // M = (3/4, 1/4): KL(P‖M) = log₂(4/3), KL(Q‖M) = ½log₂(2/3) + ½log₂(2); no log 0 anywhere.
    expect(jensenShannonDivergence([4, 0], [7, 7])).toBeCloseTo(0.31127812445913283, 12);
  });

  it("is symmetric and bounded by [0, 1]", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1000), fc.nat(1000)), { minLength: 1, maxLength: 30 }),
        (pairs) => {
          const p = pairs.map(([a]) => a);
          const q = pairs.map(([, b]) => b);
          fc.pre(p.some((c) => c > 0) && q.some((c) => c > 0));
          const forward = jensenShannonDivergence(p, q);
          expect(forward).toBeGreaterThanOrEqual(0);
          expect(forward).toBeLessThanOrEqual(1);
          expect(jensenShannonDivergence(q, p)).toBeCloseTo(forward, 12);
        },
      ),
    );
  });

  it("accepts typed arrays", () => {
    expect(jensenShannonDivergence(Float64Array.of(1, 0), Uint32Array.of(0, 1))).toBe(1);
  });

  it.each([
    [[1, 2], [1, 2, 3], /same bins/],
    [[0, 0], [1, 2], /p is empty/],
    [[1, 2], [], /same bins/],
    [[-1, 2], [1, 2], /p\[0\] must be a finite count/],
    [[1, 2], [1, Number.NaN], /q\[1\] must be a finite count/],
  ])("rejects p=%j q=%j", (p, q, message) => {
    expect(() => jensenShannonDivergence(p, q)).toThrow(message);
  });
});

describe("lInfinityDistance", () => {
  it("is the largest difference of normalised frequencies over the bins", () => {
    // P: ½, ½, 0; Q: ⅛, ⅜, ½ → differences ⅜, ⅛, ½.
    expect(lInfinityDistance([1, 1, 0], [1, 3, 4])).toBeCloseTo(0.5, 15);
  });

  it("is 0 for proportional counts and 1 for disjoint bins", () => {
    expect(lInfinityDistance([2, 98], [1, 49])).toBeCloseTo(0, 15);
    expect(lInfinityDistance([5, 0], [0, 5])).toBe(1);
  });

  it("rejects an empty distribution and mismatched bins", () => {
    expect(() => lInfinityDistance([0], [1])).toThrow(/p is empty/);
    expect(() => lInfinityDistance([1], [0])).toThrow(/q is empty/);
    expect(() => lInfinityDistance([1, 1], [1])).toThrow(/the same bins, got 2 and 1/);
  });
});

describe("NumericHistogram", () => {
  it("bins half-open, closes the last bin, and clamps values outside the edges", () => {
    const histogram = NumericHistogram.uniform(0, 1, 4);
    for (const value of [
      -5,
      0,
      0.2499,
      0.25,
      0.5,
      0.999,
      1,
      7,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]) {
      histogram.add(value);
    }
    expect(Array.from(histogram.counts)).toEqual([4, 1, 1, 4]);
    expect(histogram.total).toBe(10);
  });

  it("counts NaN as missing, not in a bin", () => {
    const histogram = NumericHistogram.uniform(0, 1, 2);
    histogram.addAll([Number.NaN, 0.1]);
    expect(histogram.missing).toBe(1);
    expect(histogram.total).toBe(1);
    expect(Array.from(histogram.counts)).toEqual([1, 0]);
  });

  it("places values exactly on irregular edges", () => {
    const histogram = new NumericHistogram([0, 1, 10, 100]);
    expect([0.999, 1, 5, 10, 99.9, 100].map((v) => histogram.binOf(v))).toEqual([0, 1, 1, 2, 2, 2]);
  });

  it("agrees with a linear scan of the edges for any value", () => {
    const histogram = NumericHistogram.uniform(0, 1, 20);
    const edges = Array.from(histogram.binEdges);
    const linearBin = (v: number): number => {
      let bin = 0;
      for (let i = 1; i < edges.length - 1; i++) if (v >= (edges[i] as number)) bin = i;
      return bin;
    };
    fc.assert(
      fc.property(
        fc.oneof(fc.double({ min: -0.5, max: 1.5, noNaN: true }), fc.constantFrom(...edges)),
        (value) => {
          expect(histogram.binOf(value)).toBe(linearBin(value));
        },
      ),
    );
  });

  it("round-trips through the manifest baseline form", () => {
    const histogram = NumericHistogram.uniform(0, 1, 20);
    histogram.addAll([0.01, 0.02, 0.5, 0.97]);
    const baseline = histogram.toBaseline();
    expect(baseline.binEdges).toHaveLength(21);
    expect(baseline.counts.reduce((a, b) => a + b, 0)).toBe(4);
    const restored = NumericHistogram.fromBaseline(baseline);
    expect(Array.from(restored.counts)).toEqual(baseline.counts);
    expect(restored.total).toBe(4);
  });

  it("counts a million scores into constant memory", () => {
    const scores = new Float64Array(1_000_000);
    for (let i = 0; i < scores.length; i++) scores[i] = (i % 1000) / 1000;
    const histogram = NumericHistogram.uniform(0, 1, 20);
    histogram.addAll(scores);
    expect(histogram.total).toBe(1_000_000);
    expect(Array.from(histogram.counts)).toEqual(new Array(20).fill(50_000));
  });

  it.each([
    [[0], /at least 2 bin edges/],
    [[0, 1, 1], /strictly ascending/],
    [[1, 0], /strictly ascending/],
    [[0, Number.POSITIVE_INFINITY], /must be finite/],
  ])("rejects edges %j", (edges, message) => {
    expect(() => new NumericHistogram(edges)).toThrow(message);
  });
});

describe("CategoricalCounts", () => {
  it("counts categories under their string form with stable key order", () => {
    const counts = new CategoricalCounts();
    counts.addAll(["legit", 1, "legit", true, 1]);
    expect(counts.toRecord()).toEqual({ "1": 2, legit: 2, true: 1 });
    expect(Object.keys(counts.toRecord())).toEqual(["1", "legit", "true"]);
    expect(counts.get("missing")).toBe(0);
    expect(counts.total).toBe(5);
  });
});
