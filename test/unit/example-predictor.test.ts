import { describe, expect, it } from "vitest";
import { generateRows } from "../../examples/fraud-detector/dataset.js";
import { buildGoldenExamples } from "../../examples/fraud-detector/golden.js";
import { predictScore, serializeModel, train } from "../../examples/fraud-detector/model.js";
import { loadPredictor } from "../../examples/fraud-detector/predictor.js";

const model = train(generateRows({ seed: 1, count: 2000 }));
const modelJson = Buffer.from(serializeModel(model));
const instances = buildGoldenExamples({ count: 200 }).map((g) => g.instance);
const valid = instances[0] as Record<string, unknown>;

const predictorFromJson = () =>
  loadPredictor(async (path) => {
    if (path !== "model.json") throw new Error(`unexpected artifact ${path}`);
    return modelJson;
  });

describe("loadPredictor", () => {
  it("serves the serialised model with the same scores as the trained one", async () => {
    const predictor = await predictorFromJson();
    const predictions = predictor.predict(instances);
    expect(predictions).toHaveLength(instances.length);
    predictions.forEach((prediction, i) => {
      const expected = predictScore(model, instances[i] as (typeof instances)[number]);
      expect(prediction.score).toBeCloseTo(expected, 14);
      expect(prediction.label).toBe(expected >= 0.5 ? 1 : 0);
    });
    expect(new Set(predictions.map((p) => p.label))).toEqual(new Set([0, 1]));
  });

  it("returns nothing for no instances", async () => {
    expect((await predictorFromJson()).predict([])).toEqual([]);
  });

  it.each([
    [{ ...valid, amount: "12" }, /^instances\[1\]\.amount: expected an amount ≥ 0, got "12"$/],
    [{ ...valid, hour: 24 }, /^instances\[1\]\.hour: expected an hour of day in \[0, 24\), got 24$/],
    [{ ...valid, merchantRisk: Number.NaN }, /^instances\[1\]\.merchantRisk: /],
    [{ ...valid, foreign: true }, /^instances\[1\]\.foreign: expected 0 or 1, got true$/],
    [
      { ...valid, cardAgeDays: undefined },
      /^instances\[1\]\.cardAgeDays: expected an age in days ≥ 0, got nothing$/,
    ],
    [[1, 2, 3], /^instances\[1\]: expected an object of features, got \[1,2,3\]$/],
    [null, /^instances\[1\]: expected an object of features, got null$/],
  ])("rejects bad instance %j, naming its index and field", async (bad, message) => {
    const predictor = await predictorFromJson();
    expect(() => predictor.predict([valid, bad, valid])).toThrow(message);
  });

  it("rejects a request that is not an array", async () => {
    const predictor = await predictorFromJson();
    expect(() => predictor.predict({ instances: [] } as unknown as unknown[])).toThrow(
      /instances: expected an array/,
    );
  });

  it("fails to load a corrupt artifact", async () => {
    await expect(loadPredictor(async () => Buffer.from("{}"))).rejects.toThrow(/model\.json is invalid/);
  });
});
