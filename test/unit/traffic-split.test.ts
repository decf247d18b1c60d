import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  canarySplit,
  dominantModel,
  promotedSplit,
  rollbackSplit,
  sameRouting,
  scaleShares,
  splitProblem,
  splitWithout,
  totalShare,
} from "../../shared/traffic-split.js";

/** A split Vertex AI would hold: 1 to 5 deployed models with whole shares adding up to 100. */
const endpointSplit = fc
  .array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 5 })
  .map((weights) =>
    scaleShares(Object.fromEntries(weights.map((w, i) => [String(1_000_000_001 + i), w])), 100),
  );

const candidate = "4242424242";

describe("canarySplit", () => {
  it.each([
    { previous: { a: 100 }, percent: 10, expected: { a: 90, [candidate]: 10 } },
    { previous: { a: 50, b: 50 }, percent: 10, expected: { a: 45, b: 45, [candidate]: 10 } },
    // 30.6, 29.7, 29.7: the two largest remainders get the two points left over.
    { previous: { a: 34, b: 33, c: 33 }, percent: 10, expected: { a: 30, b: 30, c: 30, [candidate]: 10 } },
    { previous: { a: 70, b: 30 }, percent: 25, expected: { a: 53, b: 22, [candidate]: 25 } },
    // A share that rounds to nothing leaves the split rather than sit there at 0%.
    { previous: { a: 99, b: 1 }, percent: 60, expected: { a: 40, [candidate]: 60 } },
    { previous: { a: 100 }, percent: 99, expected: { a: 1, [candidate]: 99 } },
    { previous: { a: 100 }, percent: 100, expected: { [candidate]: 100 } },
    // Nothing serving: the first deployment takes everything, whatever the canary share.
    { previous: {}, percent: 10, expected: { [candidate]: 100 } },
    { previous: { a: 0 }, percent: 10, expected: { [candidate]: 100 } },
    // The candidate's own earlier share is replaced, the others rescaled.
    { previous: { a: 80, [candidate]: 20 }, percent: 10, expected: { a: 90, [candidate]: 10 } },
  ])("$previous with $percent% → $expected", ({ previous, percent, expected }) => {
    expect(canarySplit(previous, candidate, percent)).toEqual(expected);
  });

  it("breaks rounding ties toward the larger previous share, then the lower id, deterministically", () => {
    // 95 split over 50/50 is 47.5 each: one extra point, to "a".
    expect(canarySplit({ b: 50, a: 50 }, candidate, 5)).toEqual({ a: 48, b: 47, [candidate]: 5 });
    expect(canarySplit({ a: 40, b: 20, c: 20, d: 20 }, candidate, 3)).toEqual({
      a: 39,
      b: 20,
      c: 19,
      d: 19,
      [candidate]: 3,
    });
  });

  it.each([0, -1, 101, 12.5, Number.NaN])("refuses a canary share of %s", (percent) => {
    expect(() => canarySplit({ a: 100 }, candidate, percent)).toThrow(RangeError);
  });

  it.each([
    { a: -5, b: 105 },
    { a: 50.5, b: 49.5 },
  ])("refuses a malformed previous split %o", (previous) => {
    expect(() => canarySplit(previous, candidate, 10)).toThrow(RangeError);
  });

  it("always adds up to 100 with whole, non-negative shares and gives the candidate exactly its percent", () => {
    fc.assert(
      fc.property(endpointSplit, fc.integer({ min: 1, max: 100 }), (previous, percent) => {
        const split = canarySplit(previous, candidate, percent);
        expect(totalShare(split)).toBe(100);
        expect(splitProblem(split)).toBeNull();
        for (const share of Object.values(split)) {
          expect(Number.isInteger(share)).toBe(true);
          expect(share).toBeGreaterThanOrEqual(0);
        }
        expect(split[candidate]).toBe(percent);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps every other share within one point of its exact proportional value, and never grows one", () => {
    fc.assert(
      fc.property(endpointSplit, fc.integer({ min: 1, max: 99 }), (previous, percent) => {
        const split = canarySplit(previous, candidate, percent);
        for (const [id, share] of Object.entries(previous)) {
          const exact = (share * (100 - percent)) / 100;
          const given = split[id] ?? 0;
          expect(Math.abs(given - exact)).toBeLessThan(1);
          expect(given).toBeLessThanOrEqual(share);
        }
        expect(Object.keys(split).every((id) => id === candidate || id in previous)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("is the same split whatever order the previous shares come in", () => {
    fc.assert(
      fc.property(endpointSplit, fc.integer({ min: 1, max: 99 }), (previous, percent) => {
        const reversed = Object.fromEntries(Object.entries(previous).reverse());
        expect(canarySplit(reversed, candidate, percent)).toEqual(canarySplit(previous, candidate, percent));
      }),
    );
  });
});

describe("scaleShares", () => {
  it("adds up to the requested total for any weights", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[0-9]{1,10}$/), fc.integer({ min: 0, max: 100 })),
        fc.integer({ min: 0, max: 100 }),
        (shares, total) => {
          const scaled = scaleShares(shares, total);
          const expected = totalShare(shares) === 0 ? 0 : total;
          expect(totalShare(scaled)).toBe(expected);
          expect(Object.values(scaled).every((s) => Number.isInteger(s) && s > 0)).toBe(true);
        },
      ),
    );
  });
});

describe("rollbackSplit", () => {
  it("restores the previous split exactly, whatever the canary did to it", () => {
    fc.assert(
      fc.property(endpointSplit, fc.integer({ min: 1, max: 99 }), (previous, percent) => {
        const during = canarySplit(previous, candidate, percent);
        expect(during).not.toEqual(previous);
        expect(rollbackSplit(previous, candidate)).toEqual(previous);
      }),
    );
  });

  it("is empty after a first deployment: a failed model must not keep serving alone", () => {
    expect(rollbackSplit({}, candidate)).toEqual({});
  });

  it("drops zero shares, which Vertex AI treats as absent", () => {
    expect(rollbackSplit({ a: 100, b: 0 }, candidate)).toEqual({ a: 100 });
  });

  it("hands a share the candidate held before to the others in proportion", () => {
    expect(rollbackSplit({ a: 60, b: 20, [candidate]: 20 }, candidate)).toEqual({ a: 75, b: 25 });
    expect(rollbackSplit({ [candidate]: 100 }, candidate)).toEqual({});
  });
});

describe("splitWithout", () => {
  it("removes a model without traffic", () => {
    expect(splitWithout({ a: 100, b: 0 }, "b")).toEqual({ a: 100 });
    expect(splitWithout({ a: 100 }, "b")).toEqual({ a: 100 });
  });

  it("refuses to strand traffic, as UndeployModel does", () => {
    expect(() => splitWithout({ a: 90, b: 10 }, "b")).toThrow(/still has 10%/);
  });
});

describe("helpers", () => {
  it("promotes the candidate to everything", () => {
    expect(promotedSplit(candidate)).toEqual({ [candidate]: 100 });
  });

  it.each([
    [{ a: 90, b: 10 }, { b: 10, a: 90 }, true],
    [{ a: 100, b: 0 }, { a: 100 }, true],
    [{ a: 90, b: 10 }, { a: 10, b: 90 }, false],
    [{}, { a: 0 }, true],
    [{ a: 100 }, {}, false],
  ])("sameRouting(%o, %o) is %s", (a, b, expected) => {
    expect(sameRouting(a, b)).toBe(expected);
  });

  it.each([
    [{}, null],
    [{ a: 60, b: 40 }, null],
    [{ a: 60, b: 30 }, "shares add up to 90, not 100"],
    [{ a: 101 }, "deployed model a has 101%; shares are whole numbers from 0 to 100"],
    [{ a: 99.5, b: 0.5 }, "deployed model a has 99.5%; shares are whole numbers from 0 to 100"],
  ])("splitProblem(%o) is %s", (split, expected) => {
    expect(splitProblem(split)).toBe(expected);
  });

  it("names the serving model: the largest share, ties to the lowest id", () => {
    expect(dominantModel({ b: 45, a: 45, c: 10 })).toBe("a");
    expect(dominantModel({ a: 10, b: 90 })).toBe("b");
    expect(dominantModel({})).toBeUndefined();
  });
});
