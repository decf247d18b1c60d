import { describe, expect, it } from "vitest";
import { generateRows, mulberry32, parseRowsJsonl, toJsonl } from "../../examples/fraud-detector/dataset.js";
import { FEATURE_NAMES, parseTransaction } from "../../examples/fraud-detector/features.js";
import { buildGoldenExamples, buildGoldenJsonl, GOLDEN_SEED } from "../../examples/fraud-detector/golden.js";
import { TRAIN_SEED } from "../../examples/fraud-detector/seed-data.js";

const positiveShare = (rows: readonly { label: number }[]): number =>
  rows.filter((r) => r.label === 1).length / rows.length;

describe("mulberry32", () => {
  it("repeats its sequence for a seed and differs across seeds", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
    for (const value of first) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});

describe("generateRows", () => {
  it("gives the same rows for the same seed, and different rows for another", () => {
    expect(generateRows({ seed: 5, count: 300 })).toEqual(generateRows({ seed: 5, count: 300 }));
    expect(generateRows({ seed: 5, count: 300 })).not.toEqual(generateRows({ seed: 6, count: 300 }));
    expect(generateRows({ seed: 5, count: 300, shift: true })).toEqual(
      generateRows({ seed: 5, count: 300, shift: true }),
    );
  });

  it("produces valid transactions with every feature in range", () => {
    const rows = generateRows({ seed: TRAIN_SEED, count: 2000 });
    const keys = new Set<string>();
    rows.forEach((row, i) => {
      parseTransaction(row, `rows[${i}]`);
      keys.add(Object.keys(row).sort().join(","));
    });
    expect([...keys]).toEqual([[...FEATURE_NAMES, "label"].sort().join(",")]);
  });

  it("has roughly 5-10 % fraud in the normal world", () => {
    const share = positiveShare(generateRows({ seed: TRAIN_SEED, count: 4000 }));
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.1);
  });

  it("moves the feature distributions and the fraud rate in the shifted world", () => {
    const normal = generateRows({ seed: 3, count: 4000 });
    const shifted = generateRows({ seed: 3, count: 4000, shift: true });
    const mean = (rows: readonly Record<string, number>[], key: string): number =>
      rows.reduce((sum, r) => sum + (r[key] as number), 0) / rows.length;
    expect(mean(shifted, "amount")).toBeGreaterThan(1.5 * mean(normal, "amount"));
    expect(mean(shifted, "foreign")).toBeGreaterThan(2 * mean(normal, "foreign"));
    expect(mean(shifted, "merchantRisk")).toBeGreaterThan(mean(normal, "merchantRisk"));
    expect(positiveShare(shifted)).toBeGreaterThan(positiveShare(normal));
  });

  it("rejects a bad count", () => {
    expect(() => generateRows({ seed: 1, count: -1 })).toThrow(/count must be a whole number/);
  });
});

describe("JSON Lines", () => {
  it("round-trips rows", () => {
    const rows = generateRows({ seed: 9, count: 50 });
    const text = toJsonl(rows);
    expect(text.split("\n")).toHaveLength(51);
    expect(parseRowsJsonl(text)).toEqual(rows);
  });

  it.each([
    ['{"amount":1}\n{oops', /train\.jsonl line 1\.hour: expected an hour/],
    [
      '{"amount":1,"hour":3,"merchantRisk":0.1,"distanceKm":1,"cardAgeDays":1,"foreign":0,"label":0}\n{oops',
      /train\.jsonl line 2: not valid JSON/,
    ],
    [
      '{"amount":1,"hour":3,"merchantRisk":0.1,"distanceKm":1,"cardAgeDays":1,"foreign":0,"label":2}',
      /train\.jsonl line 1\.label: expected 0 or 1, got 2/,
    ],
    [
      '{"amount":-3,"hour":3,"merchantRisk":0.1,"distanceKm":1,"cardAgeDays":1,"foreign":0,"label":0}',
      /train\.jsonl line 1\.amount: expected an amount ≥ 0, got -3/,
    ],
  ])("names the line and field of bad data: %j", (text, message) => {
    expect(() => parseRowsJsonl(text, "train.jsonl")).toThrow(message);
  });
});

describe("golden set", () => {
  it("is instance + label lines from a seed training never uses", () => {
    expect(GOLDEN_SEED).not.toBe(TRAIN_SEED);
    const lines = buildGoldenJsonl({ count: 20 }).trimEnd().split("\n");
    expect(lines).toHaveLength(20);
    for (const line of lines) {
      const parsed = JSON.parse(line) as { instance: unknown; label: unknown };
      expect(Object.keys(parsed)).toEqual(["instance", "label"]);
      expect(() => parseTransaction(parsed.instance, "instance")).not.toThrow();
      expect([0, 1]).toContain(parsed.label);
    }
    expect(buildGoldenExamples({ count: 20 })).toEqual(lines.map((l) => JSON.parse(l)));
  });
});
