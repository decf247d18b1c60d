import { generateRows, toJsonl } from "./dataset.js";
import type { LabelledTransaction, Transaction } from "./features.js";

/**
 * The golden set: labelled transactions from the normal world, drawn with a seed the
 * training data never uses, so verification measures generalisation rather than recall.
 * Line format (JSON Lines), as modelgate's verification step reads it:
 *   {"instance":{"amount":42.17,"hour":14,...},"label":0}
 */

export const GOLDEN_SEED = 7_777;
export const GOLDEN_ROWS = 1_000;

export interface GoldenExample {
  instance: Transaction;
  label: 0 | 1;
}

/** Splits labelled rows into instance and label, the shape of a golden line. */
export function toGoldenExamples(rows: readonly LabelledTransaction[]): GoldenExample[] {
  return rows.map(({ label, ...instance }) => ({ instance, label }));
}

/** The golden set's examples (deterministic). */
export function buildGoldenExamples({ seed = GOLDEN_SEED, count = GOLDEN_ROWS } = {}): GoldenExample[] {
  return toGoldenExamples(generateRows({ seed, count }));
}

/** The golden set as JSON Lines text. */
export function buildGoldenJsonl(options: { seed?: number; count?: number } = {}): string {
  return toJsonl(buildGoldenExamples(options));
}
