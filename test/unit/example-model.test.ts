import { beforeAll, describe, expect, it } from "vitest";
import { generateRows } from "../../examples/fraud-detector/dataset.js";
import type { LabelledTransaction, Transaction } from "../../examples/fraud-detector/features.js";
import { buildGoldenExamples, type GoldenExample } from "../../examples/fraud-detector/golden.js";
import {
  compileScorer,
  evaluate,
  type LogisticModel,
  parseModel,
  predictScore,
  rocAuc,
  serializeModel,
  train,
} from "../../examples/fraud-detector/model.js";
import { SHIFTED_SEED, TRAIN_ROWS, TRAIN_SEED } from "../../examples/fraud-detector/seed-data.js";
import { splitForEvaluation } from "../../examples/fraud-detector/train.js";
import { jensenShannonDivergence, NumericHistogram } from "../../shared/drift.js";

const golden = buildGoldenExamples();
const goldenLabels = golden.map((g) => g.label);

function scoresOf(model: LogisticModel, rows: readonly (Transaction | GoldenExample)[]): Float64Array {
  const score = compileScorer(model);
  return Float64Array.from(rows, (row) => score("instance" in row ? row.instance : row));
}

function histogramOf(scores: Float64Array): Float64Array {
  const histogram = NumericHistogram.uniform(0, 1, 20);
  histogram.addAll(scores);
  return histogram.counts;
}

describe("the fraud model, trained for real", () => {
  let normal: LogisticModel;
  let normalEval: LabelledTransaction[];
  let shifted: LogisticModel;

  beforeAll(() => {
    const split = splitForEvaluation(generateRows({ seed: TRAIN_SEED, count: TRAIN_ROWS }));
    normal = train(split.train);
    normalEval = split.eval;
    shifted = train(
      splitForEvaluation(generateRows({ seed: SHIFTED_SEED, count: TRAIN_ROWS, shift: true })).train,
    );
  });

  it("is deterministic: the same rows give the same model", () => {
    const rows = generateRows({ seed: 11, count: 500 });
    expect(serializeModel(train(rows))).toBe(serializeModel(train(rows)));
  });

  it("beats the majority-class baseline on the golden set by a clear margin", () => {
    const majority =
      Math.max(...[0, 1].map((c) => goldenLabels.filter((l) => l === c).length)) / golden.length;
    const result = evaluate(scoresOf(normal, golden), goldenLabels);
    expect(result.accuracy).toBeGreaterThan(majority + 0.03);
    expect(result.auc).toBeGreaterThan(0.9);
    expect(result.recall).toBeGreaterThan(0.4);
  });

  it("trained on shifted data, loses golden accuracy and its scores drift from the normal baseline", () => {
    const normalAccuracy = evaluate(scoresOf(normal, golden), goldenLabels).accuracy;
    const shiftedAccuracy = evaluate(scoresOf(shifted, golden), goldenLabels).accuracy;
    expect(shiftedAccuracy).toBeLessThan(normalAccuracy - 0.1);

    // The normal model's manifest baseline: its scores on its own evaluation split.
    const baseline = histogramOf(scoresOf(normal, normalEval));
    const shiftedDrift = jensenShannonDivergence(baseline, histogramOf(scoresOf(shifted, golden)));
    const normalDrift = jensenShannonDivergence(baseline, histogramOf(scoresOf(normal, golden)));
    expect(shiftedDrift).toBeGreaterThan(0.1);
    // The same model on fresh normal data barely moves: drift measures the model change, not noise.
    expect(normalDrift).toBeLessThan(0.05);
    expect(shiftedDrift).toBeGreaterThan(5 * normalDrift);
  });

  it("round-trips through model.json and scores identically", () => {
    const restored = parseModel(Buffer.from(serializeModel(normal)));
    expect(restored).toEqual(normal);
    const instance = golden[0]?.instance;
    if (!instance) throw new Error("empty golden set");
    expect(predictScore(restored, instance)).toBe(predictScore(normal, instance));
  });

  it("scores with standardisation folded in exactly as the textbook formula", () => {
    const instance = golden[3]?.instance;
    if (!instance) throw new Error("empty golden set");
    const x = [
      Math.log1p(instance.amount),
      instance.hour < 6 ? 1 : 0,
      instance.merchantRisk,
      Math.log1p(instance.distanceKm),
      Math.log1p(instance.cardAgeDays),
      instance.foreign,
    ];
    const z = x.reduce(
      (sum, v, j) =>
        sum + (normal.weights[j] as number) * ((v - (normal.mean[j] as number)) / (normal.std[j] as number)),
      normal.bias,
    );
    expect(predictScore(normal, instance)).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
  });
});

describe("parseModel", () => {
  it.each([
    ["not json", /model\.json is not valid JSON/],
    ['{"format":"other"}', /model\.json is invalid: format: /],
    [JSON.stringify({ ...train(generateRows({ seed: 1, count: 50 })), weights: [1] }), /weights/],
  ])("rejects %j", (text, message) => {
    expect(() => parseModel(text)).toThrow(message);
  });
});

describe("evaluate", () => {
  it("computes accuracy, precision, recall and AUC on a hand-worked case", () => {
    // Predictions at 0.5: TP (0.9), FP (0.6), FN (0.4), TN (0.1).
    const result = evaluate([0.9, 0.6, 0.4, 0.1], [1, 0, 1, 0]);
    expect(result).toEqual({ accuracy: 0.5, precision: 0.5, recall: 0.5, auc: 0.75 });
  });

  it("reports 0 rather than NaN when nothing is predicted positive", () => {
    expect(evaluate([0.1, 0.2], [0, 1])).toMatchObject({ precision: 0, recall: 0 });
  });

  it("counts ties as half in AUC and gives 0.5 without both classes", () => {
    expect(rocAuc([0.5, 0.5], [1, 0])).toBe(0.5);
    expect(rocAuc([0.2, 0.8, 0.8], [0, 1, 0])).toBe(0.75);
    expect(rocAuc([0.2, 0.8], [1, 1])).toBe(0.5);
  });
});
