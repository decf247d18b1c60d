import { isNight, type LabelledTransaction, parseLabelledTransaction } from "./features.js";

/**
 * A deterministic synthetic card-fraud data set. Labels come from a known logistic ground
 * truth plus noise, so a logistic regression can learn it well but not perfectly, and the
 * "shifted" variant changes both the feature distributions and what they mean, which is
 * what a bad retrain looks like to modelgate's verification.
 *
 * Storage format: JSON Lines, one transaction per line, features and label side by side:
 *   {"amount":42.17,"hour":14,"merchantRisk":0.031,"distanceKm":3.2,"cardAgeDays":811,"foreign":0,"label":0}
 */

/** A small, fast, seeded PRNG (mulberry32): same seed, same sequence, on every platform. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  // Box–Muller; 1 - u keeps the logarithm's argument in (0, 1].
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** How the world generates transactions and decides which are fraud. */
interface World {
  logAmountMean: number;
  nightShare: number;
  riskExponent: number;
  distanceMeanKm: number;
  cardAgeMeanDays: number;
  foreignShare: number;
  truth: {
    intercept: number;
    logAmount: number;
    night: number;
    merchantRisk: number;
    logDistance: number;
    logCardAge: number;
    foreign: number;
  };
  noise: number;
}

const NORMAL: World = {
  logAmountMean: 3.6,
  nightShare: 0.12,
  riskExponent: 2.5,
  distanceMeanKm: 12,
  cardAgeMeanDays: 600,
  foreignShare: 0.08,
  truth: {
    intercept: -10,
    logAmount: 1.6,
    night: 2.8,
    merchantRisk: 9,
    logDistance: 1.4,
    logCardAge: -1.8,
    foreign: 3.2,
  },
  noise: 0.3,
};

// The shifted world: bigger amounts, riskier merchants, more foreign and night traffic, and
// the meaning of merchant risk, foreign and card age turned around. A model trained here
// scores normal traffic very differently, so both its accuracy and its score distribution move.
const SHIFTED: World = {
  logAmountMean: 4.4,
  nightShare: 0.3,
  riskExponent: 1,
  distanceMeanKm: 40,
  cardAgeMeanDays: 200,
  foreignShare: 0.35,
  truth: {
    intercept: 1.4,
    logAmount: 0.2,
    night: -1.5,
    merchantRisk: -5,
    logDistance: 0.4,
    logCardAge: 0.5,
    foreign: -2.5,
  },
  noise: 0.3,
};

export interface GenerateOptions {
  seed: number;
  count: number;
  /** Generate from the shifted world instead of the normal one. */
  shift?: boolean;
}

/** Generates `count` labelled transactions; the same options always give the same rows. */
export function generateRows({ seed, count, shift = false }: GenerateOptions): LabelledTransaction[] {
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`count must be a whole number ≥ 0, got ${count}`);
  const world = shift ? SHIFTED : NORMAL;
  const random = mulberry32(seed);
  const rows: LabelledTransaction[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const amount = round(Math.exp(world.logAmountMean + 1.1 * gaussian(random)), 2);
    const hour =
      random() < world.nightShare
        ? Math.floor(random() * 6)
        : 6 + Math.min(17, Math.max(0, Math.round(8 + 4 * gaussian(random))));
    const merchantRisk = round(random() ** world.riskExponent, 3);
    const distanceKm = round(-world.distanceMeanKm * Math.log(1 - random()), 1);
    const cardAgeDays = Math.floor(-world.cardAgeMeanDays * Math.log(1 - random()));
    const foreign = random() < world.foreignShare ? 1 : 0;

    const t = world.truth;
    const z =
      t.intercept +
      t.logAmount * (Math.log1p(amount) - 3.6) +
      t.night * (isNight(hour) ? 1 : 0) +
      t.merchantRisk * merchantRisk +
      t.logDistance * (Math.log1p(distanceKm) - 2) +
      t.logCardAge * (Math.log1p(cardAgeDays) - 6) +
      t.foreign * foreign +
      world.noise * gaussian(random);
    const label = random() < sigmoid(z) ? 1 : 0;
    rows[i] = { amount, hour, merchantRisk, distanceKm, cardAgeDays, foreign, label };
  }
  return rows;
}

/**
 * The rows as a labelling job that lost a share of the fraud labels would deliver them: each fraud row, with
 * probability `share` (drawn from its own seeded generator), recorded as not fraud. A model trained on them still
 * looks like the normal world's, with a similar score distribution, but misses more fraud: a regression that a small
 * sample cannot tell from noise and a larger one shows.
 */
export function withLostFraudLabels(
  rows: readonly LabelledTransaction[],
  share: number,
  seed: number,
): LabelledTransaction[] {
  if (!(share >= 0 && share <= 1)) throw new Error(`share must be between 0 and 1, got ${share}`);
  const random = mulberry32(seed);
  return rows.map((row) => (row.label === 1 && random() < share ? { ...row, label: 0 } : row));
}

/** Serialises rows as JSON Lines (one object per line, trailing newline). */
export function toJsonl(rows: readonly object[]): string {
  let out = "";
  for (const row of rows) out += `${JSON.stringify(row)}\n`;
  return out;
}

/** Parses a JSON Lines training file; errors name the 1-based line and the field. */
export function parseRowsJsonl(text: string, source = "data"): LabelledTransaction[] {
  const rows: LabelledTransaction[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${source} line ${i + 1}: not valid JSON (${(error as Error).message})`);
    }
    rows.push(parseLabelledTransaction(value, `${source} line ${i + 1}`));
  }
  return rows;
}
