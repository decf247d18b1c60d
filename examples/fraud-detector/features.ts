/**
 * The fraud detector's input: one card transaction. Both the trainer and the predictor
 * validate through here, so training data and prediction requests obey the same rules.
 */

export const FEATURE_NAMES = [
  "amount",
  "hour",
  "merchantRisk",
  "distanceKm",
  "cardAgeDays",
  "foreign",
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** One transaction as the model sees it. */
export type Transaction = { [K in FeatureName]: number };

/** A transaction with its ground-truth label (1 = fraud). */
export type LabelledTransaction = Transaction & { label: 0 | 1 };

// Each feature's domain; a value outside it is a bad request, not something to extrapolate on.
const RULES: Record<FeatureName, { expected: string; ok: (v: number) => boolean }> = {
  amount: { expected: "an amount ≥ 0", ok: (v) => v >= 0 },
  hour: { expected: "an hour of day in [0, 24)", ok: (v) => v >= 0 && v < 24 },
  merchantRisk: { expected: "a risk score in [0, 1]", ok: (v) => v >= 0 && v <= 1 },
  distanceKm: { expected: "a distance ≥ 0", ok: (v) => v >= 0 },
  cardAgeDays: { expected: "an age in days ≥ 0", ok: (v) => v >= 0 },
  foreign: { expected: "0 or 1", ok: (v) => v === 0 || v === 1 },
};

/** Names of the model's inputs after feature engineering, in vector order. */
export const DERIVED_FEATURE_NAMES = [
  "log1p(amount)",
  "night",
  "merchantRisk",
  "log1p(distanceKm)",
  "log1p(cardAgeDays)",
  "foreign",
] as const;

/** Hours when card fraud concentrates (00:00–05:59). */
export function isNight(hour: number): boolean {
  return hour < 6;
}

/**
 * Writes the engineered feature vector of a transaction into `out` (no allocation, so a
 * predictor can score many instances with one buffer). Heavy-tailed amounts and distances
 * are log-scaled; the hour only matters as night or not.
 */
export function writeFeatureVector(t: Transaction, out: Float64Array): void {
  out[0] = Math.log1p(t.amount);
  out[1] = isNight(t.hour) ? 1 : 0;
  out[2] = t.merchantRisk;
  out[3] = Math.log1p(t.distanceKm);
  out[4] = Math.log1p(t.cardAgeDays);
  out[5] = t.foreign;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value);
  return json === undefined ? typeof value : json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/**
 * Checks that `value` is a transaction; throws an Error naming `where` (e.g. "instances[3]")
 * and the field at fault. Returns the same object, typed, without copying.
 */
export function parseTransaction(value: unknown, where: string): Transaction {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected an object of features, got ${describe(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const name of FEATURE_NAMES) {
    const v = record[name];
    const rule = RULES[name];
    if (typeof v !== "number" || !Number.isFinite(v) || !rule.ok(v)) {
      throw new Error(`${where}.${name}: expected ${rule.expected}, got ${describe(v)}`);
    }
  }
  return record as Transaction;
}

/** Checks a labelled training row the same way, plus its label. */
export function parseLabelledTransaction(value: unknown, where: string): LabelledTransaction {
  const transaction = parseTransaction(value, where);
  const label = (value as Record<string, unknown>).label;
  if (label !== 0 && label !== 1) throw new Error(`${where}.label: expected 0 or 1, got ${describe(label)}`);
  return transaction as LabelledTransaction;
}
