import { z } from "zod";
import {
  DERIVED_FEATURE_NAMES,
  type LabelledTransaction,
  type Transaction,
  writeFeatureVector,
} from "./features.js";

/**
 * Logistic regression on standardised engineered features, fitted by full-batch gradient
 * descent from zero weights: no randomness anywhere, so the same rows give the same model
 * byte for byte (which keeps artifacts reproducible from a commit).
 */

export const MODEL_FORMAT = "modelgate-example/logistic-regression" as const;
export const MODEL_FILE_NAME = "model.json";

const modelSchema = z.object({
  format: z.literal(MODEL_FORMAT),
  version: z.literal(1),
  features: z.array(z.string()).length(DERIVED_FEATURE_NAMES.length),
  mean: z.array(z.number()).length(DERIVED_FEATURE_NAMES.length),
  std: z.array(z.number().positive()).length(DERIVED_FEATURE_NAMES.length),
  weights: z.array(z.number()).length(DERIVED_FEATURE_NAMES.length),
  bias: z.number(),
  threshold: z.number().min(0).max(1),
});

export type LogisticModel = z.infer<typeof modelSchema>;

export interface TrainOptions {
  epochs?: number;
  learningRate?: number;
  /** L2 penalty on the (standardised) weights. */
  l2?: number;
}

const DIMENSIONS = DERIVED_FEATURE_NAMES.length;

/** Fits the model to labelled transactions. */
export function train(rows: readonly LabelledTransaction[], options: TrainOptions = {}): LogisticModel {
  const { epochs = 400, learningRate = 0.5, l2 = 1e-4 } = options;
  const n = rows.length;
  if (n === 0) throw new Error("cannot train on an empty data set");

  // One contiguous matrix, standardised in place.
  const x = new Float64Array(n * DIMENSIONS);
  const y = new Float64Array(n);
  const vector = new Float64Array(DIMENSIONS);
  for (let i = 0; i < n; i++) {
    const row = rows[i] as LabelledTransaction;
    writeFeatureVector(row, vector);
    x.set(vector, i * DIMENSIONS);
    y[i] = row.label;
  }
  const mean = new Array<number>(DIMENSIONS).fill(0);
  const std = new Array<number>(DIMENSIONS).fill(0);
  for (let j = 0; j < DIMENSIONS; j++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[i * DIMENSIONS + j] as number;
    const m = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += ((x[i * DIMENSIONS + j] as number) - m) ** 2;
    // A constant column carries no information; std 1 keeps it harmless instead of dividing by 0.
    const s = Math.sqrt(squares / n) || 1;
    mean[j] = m;
    std[j] = s;
    for (let i = 0; i < n; i++) x[i * DIMENSIONS + j] = ((x[i * DIMENSIONS + j] as number) - m) / s;
  }

  const w = new Float64Array(DIMENSIONS);
  const gradient = new Float64Array(DIMENSIONS);
  let bias = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    gradient.fill(0);
    let biasGradient = 0;
    for (let i = 0; i < n; i++) {
      const offset = i * DIMENSIONS;
      let z = bias;
      for (let j = 0; j < DIMENSIONS; j++) z += (w[j] as number) * (x[offset + j] as number);
      const error = 1 / (1 + Math.exp(-z)) - (y[i] as number);
      for (let j = 0; j < DIMENSIONS; j++)
        gradient[j] = (gradient[j] as number) + error * (x[offset + j] as number);
      biasGradient += error;
    }
    for (let j = 0; j < DIMENSIONS; j++) {
      w[j] = (w[j] as number) - learningRate * ((gradient[j] as number) / n + l2 * (w[j] as number));
    }
    bias -= (learningRate * biasGradient) / n;
  }

  return {
    format: MODEL_FORMAT,
    version: 1,
    features: [...DERIVED_FEATURE_NAMES],
    mean,
    std,
    weights: Array.from(w),
    bias,
    threshold: 0.5,
  };
}

/**
 * A scoring function with the standardisation folded into the weights, so scoring one
 * transaction is one dot product and no allocation.
 */
export function compileScorer(model: LogisticModel): (t: Transaction) => number {
  const weights = new Float64Array(DIMENSIONS);
  let bias = model.bias;
  for (let j = 0; j < DIMENSIONS; j++) {
    const w = (model.weights[j] as number) / (model.std[j] as number);
    weights[j] = w;
    bias -= w * (model.mean[j] as number);
  }
  const vector = new Float64Array(DIMENSIONS);
  return (t) => {
    writeFeatureVector(t, vector);
    let z = bias;
    for (let j = 0; j < DIMENSIONS; j++) z += (weights[j] as number) * (vector[j] as number);
    return 1 / (1 + Math.exp(-z));
  };
}

/** The fraud probability of one transaction. */
export function predictScore(model: LogisticModel, instance: Transaction): number {
  return compileScorer(model)(instance);
}

/** The model as the JSON written to `model.json`. */
export function serializeModel(model: LogisticModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

/** Reads `model.json` back; throws naming the field if it is not a model of this format. */
export function parseModel(json: string | Buffer): LogisticModel {
  let value: unknown;
  try {
    value = JSON.parse(json.toString());
  } catch (error) {
    throw new Error(`${MODEL_FILE_NAME} is not valid JSON: ${(error as Error).message}`);
  }
  const result = modelSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`${MODEL_FILE_NAME} is invalid: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return result.data;
}

export interface Evaluation {
  accuracy: number;
  precision: number;
  recall: number;
  auc: number;
}

/** Accuracy, precision and recall at the model's threshold, and ROC AUC, on labelled rows. */
export function evaluate(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): Evaluation {
  const n = scores.length;
  if (n === 0 || labels.length !== n)
    throw new Error(`need as many labels as scores (got ${n} and ${labels.length})`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < n; i++) {
    const predicted = (scores[i] as number) >= threshold;
    const actual = labels[i] === 1;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
    else tn++;
  }
  return {
    accuracy: (tp + tn) / n,
    // No positive predictions (or no positives) gives 0, not NaN: manifests hold finite numbers.
    precision: tp + fp === 0 ? 0 : tp / (tp + fp),
    recall: tp + fn === 0 ? 0 : tp / (tp + fn),
    auc: rocAuc(scores, labels),
  };
}

/** ROC AUC as the Mann–Whitney statistic, ties counted half; 0.5 when one class is absent. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number),
  );
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    // Give a run of tied scores their average rank.
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k] as number] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
