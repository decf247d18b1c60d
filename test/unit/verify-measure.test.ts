import { describe, expect, it } from "vitest";
import { ModelMeasure } from "../../functions/verify-deployment/model-measure.js";
import { OutputDistribution } from "../../functions/verify-deployment/output-drift.js";
import {
  classKey,
  outputValue,
  predictedClass,
} from "../../functions/verify-deployment/prediction-output.js";
import { jensenShannonDivergence, lInfinityDistance } from "../../shared/drift.js";
import type { Baseline } from "../../shared/manifest.js";

const numeric: Baseline = { kind: "numeric", binEdges: [0, 0.5, 1], counts: [3, 1] };
const categorical: Baseline = { kind: "categorical", counts: { legit: 3, fraud: 1 } };

describe("OutputDistribution", () => {
  it("measures Jensen-Shannon drift over the baseline's bins", () => {
    const outputs = new OutputDistribution(numeric);
    for (const score of [0.1, 0.7, 0.9, 1.0]) outputs.add(score);
    // Baseline P = (3/4, 1/4), observed Q = (1/4, 3/4), M = (1/2, 1/2):
    // JS = ½·[¾·log2(3/2) + ¼·log2(1/2)] + ½·[¼·log2(1/2) + ¾·log2(3/2)] = ¾·log2 3 − 1.
    const expected = 0.75 * Math.log2(3) - 1;
    expect(outputs.counts()).toEqual([1, 3]);
    expect(outputs.drift("jensen-shannon")).toBeCloseTo(expected, 12);
    expect(outputs.drift("jensen-shannon")).toBeCloseTo(jensenShannonDivergence([3, 1], [1, 3]), 12);
  });

  it("measures L-infinity drift over the bins when that is configured", () => {
    const outputs = new OutputDistribution(numeric);
    for (const score of [0.1, 0.7, 0.9, 1.0]) outputs.add(score);
    expect(outputs.drift("l-infinity")).toBeCloseTo(0.5, 12);
  });

  it("measures L-infinity drift of categories, a category unseen in the baseline included", () => {
    const outputs = new OutputDistribution(categorical);
    for (const label of ["legit", "legit", "fraud", "unknown"]) outputs.add(label);
    // legit 3/4 → 2/4, fraud 1/4 → 1/4, unknown 0 → 1/4: the largest difference is 1/4.
    expect(outputs.drift("l-infinity")).toBeCloseTo(0.25, 12);
    expect(outputs.drift("l-infinity")).toBe(lInfinityDistance([3, 1, 0], [2, 1, 1]));
    expect(outputs.drift("jensen-shannon")).toBeCloseTo(jensenShannonDivergence([3, 1, 0], [2, 1, 1]), 12);
  });

  it("has no drift before any output, and keeps wrong-typed outputs out of a numeric histogram", () => {
    const outputs = new OutputDistribution(numeric);
    expect(outputs.drift("jensen-shannon")).toBeUndefined();
    outputs.add("high");
    outputs.add(Number.NaN);
    expect(outputs.mismatched).toBe(2);
    expect(outputs.total).toBe(0);
  });
});

describe("reading predictions", () => {
  it.each<[unknown, string | undefined]>([
    [{ score: 0.8, label: 0 }, "0"], // the model's own decision wins over the score
    [{ score: 0.8 }, "1"],
    [{ score: 0.5 }, "1"],
    [{ score: 0.49 }, "0"],
    [0.9, "1"],
    [{ classes: ["a", "b"], scores: [0.2, 0.8] }, "b"],
    [{ label: true }, "1"],
    [{ other: 1 }, undefined],
    [{ score: "high" }, "high"],
  ])("predictedClass(%j) with a numeric baseline is %s", (prediction, expected) => {
    expect(predictedClass(prediction, "score", "numeric")).toBe(expected);
  });

  it("reads the class of a categorical output as is", () => {
    expect(predictedClass({ class: "fraud" }, "class", "categorical")).toBe("fraud");
    expect(predictedClass("fraud", "class", "categorical")).toBe("fraud");
    expect(outputValue({ class: ["x"] }, "class")).toBeUndefined();
    expect(classKey(false)).toBe("0");
  });
});

describe("ModelMeasure", () => {
  it("scores predictions against labels and collects the outputs' distribution", () => {
    const measure = new ModelMeasure(numeric, "score");
    measure.observe(
      [
        { instance: {}, label: 1 },
        { instance: {}, label: 0 },
        { instance: {}, label: 1 },
        { instance: {}, label: 0 },
      ],
      [{ score: 0.9 }, { score: 0.2 }, { score: 0.1 }, { nothing: true }],
    );
    expect(measure).toMatchObject({ scored: 3, correct: 2, unreadable: 1 });
    expect(measure.accuracy).toBeCloseTo(2 / 3, 12);
    expect(measure.outputs.counts()).toEqual([2, 1]);
  });
});
