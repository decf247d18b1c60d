import type { Storage } from "@google-cloud/storage";
import { generateRows, toJsonl, withLostFraudLabels } from "./dataset.js";
import { buildGoldenJsonl, GOLDEN_ROWS, GOLDEN_SEED } from "./golden.js";
import { type ObjectIO, ObjectNotFoundError, storageObjectIO } from "./object-io.js";

/**
 * Puts the example's data in the artifact bucket: the normal training set, the shifted
 * training set (a retrain on it should fail verification at once), the normal set with 70 % of its fraud labels lost
 * (a retrain on it is too close to the serving version for a small sample to decide, and fails on the whole golden
 * set), and the golden set.
 */

export const MODEL_NAME = "fraud-detector";
export const TRAIN_SEED = 1;
export const SHIFTED_SEED = 2;
export const TRAIN_ROWS = 4_000;
/** The share of fraud labels the lost-labels set drops, and the seed that picks them. */
export const LOST_LABELS = { share: 0.7, seed: 3 } as const;

export const EXAMPLE_OBJECTS = {
  train: `datasets/${MODEL_NAME}/train.jsonl`,
  trainShifted: `datasets/${MODEL_NAME}/train-shifted.jsonl`,
  golden: `golden/${MODEL_NAME}/golden.jsonl`,
  trainLostLabels: `datasets/${MODEL_NAME}/train-lost-labels.jsonl`,
} as const;

export interface SeedOptions {
  trainRows?: number;
  goldenRows?: number;
}

/** The example's objects and their contents (pure; the same options give the same bytes). */
export function buildExampleObjects(options: SeedOptions = {}): { name: string; contents: string }[] {
  const { trainRows = TRAIN_ROWS, goldenRows = GOLDEN_ROWS } = options;
  const normal = generateRows({ seed: TRAIN_SEED, count: trainRows });
  return [
    { name: EXAMPLE_OBJECTS.train, contents: toJsonl(normal) },
    {
      name: EXAMPLE_OBJECTS.trainShifted,
      contents: toJsonl(generateRows({ seed: SHIFTED_SEED, count: trainRows, shift: true })),
    },
    { name: EXAMPLE_OBJECTS.golden, contents: buildGoldenJsonl({ seed: GOLDEN_SEED, count: goldenRows }) },
    {
      name: EXAMPLE_OBJECTS.trainLostLabels,
      contents: toJsonl(withLostFraudLabels(normal, LOST_LABELS.share, LOST_LABELS.seed)),
    },
  ];
}

/**
 * Writes each example object unless the bucket already holds exactly those bytes, so a
 * second run changes nothing and emits no finalize events.
 */
export async function seedExampleObjects(
  io: ObjectIO,
  bucket: string,
  options: SeedOptions = {},
): Promise<{ name: string; written: boolean }[]> {
  const outcomes: { name: string; written: boolean }[] = [];
  for (const { name, contents } of buildExampleObjects(options)) {
    const uri = `gs://${bucket}/${name}`;
    const wanted = Buffer.from(contents);
    let current: Buffer | undefined;
    try {
      current = await io.read(uri);
    } catch (error) {
      if (!(error instanceof ObjectNotFoundError)) throw error;
    }
    const written = current === undefined || !current.equals(wanted);
    if (written) await io.write(uri, wanted, "application/x-ndjson");
    outcomes.push({ name, written });
  }
  return outcomes;
}

/** Uploads the example's training sets and golden data to `bucket` (idempotent). */
export function seedExampleData(
  storage: Storage,
  bucket: string,
  options: SeedOptions = {},
): Promise<{ name: string; written: boolean }[]> {
  return seedExampleObjects(storageObjectIO(storage), bucket, options);
}
