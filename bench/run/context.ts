// What every section of the bench shares: the repository root, the configuration, the sizes, logging and the
// small statistics the report prints.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MODEL_NAME } from "../../examples/fraud-detector/seed-data.js";
import { loadConfig } from "../../shared/config.js";

// Nothing here runs on Google Cloud: keep google-auth-library (here and in every process started) from probing
// the metadata server.
process.env.METADATA_SERVER_DETECTION = "none";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const configPath = join(root, "modelgate.config.yaml");
export const config = loadConfig({ MODELGATE_CONFIG: configPath });
const configured = config.models[MODEL_NAME];
if (!configured) throw new Error(`modelgate.config.yaml has no ${MODEL_NAME}`);
export const model = configured;

/**
 * BENCH_QUICK=1: tiny sizes and one round of everything, to prove the bench runs end to end in a minute or two.
 * Its figures mean nothing and it writes bench/results/quick.json, never the full run's file.
 */
export const quick = process.env.BENCH_QUICK === "1";

// Sizes and repetitions: the whole run stays well under 10 minutes on a shared 2-core machine.
export const runs = quick ? 1 : Number(process.env.BENCH_RUNS ?? 7);
/** BENCH_GOLDEN_SIZES (comma-separated rows, e.g. `10000`) measures verification at those sizes only. */
export const goldenSizes = quick
  ? [1_000, 2_000]
  : (process.env.BENCH_GOLDEN_SIZES?.split(",").map(Number) ?? [10_000, 100_000, 1_000_000]);
export const webhookSeconds = quick ? 1 : Number(process.env.BENCH_WEBHOOK_SECONDS ?? 5);
export const webhookRounds = quick ? 1 : 3;
export const driftScores = quick ? 10_000 : 1_000_000;
export const webhookSecret = "bench-webhook-secret-bench-webhook-secret";
export const tektonToken = "bench-tekton-token-bench-tekton-token-bench";

export const log = (line: string) => process.stderr.write(`${line}\n`);

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export const mib = (bytes: number) => bytes / 1024 / 1024;

/** The range of a set of run times, e.g. "650–1,800 ms". */
export const spread = (values: number[]) =>
  values.length === 0
    ? "-"
    : `${Math.round(Math.min(...values)).toLocaleString("en-US")}–${Math.round(Math.max(...values)).toLocaleString("en-US")} ms`;

/** `n` random hex digits. */
export const hex = (n: number) =>
  Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");

/** A count as the report names it: "1M", "10k", else with separators. */
export const shortCount = (n: number) =>
  n >= 1e6 && n % 1e6 === 0
    ? `${n / 1e6}M`
    : n >= 1e3 && n % 1e3 === 0
      ? `${n / 1e3}k`
      : n.toLocaleString("en-US");
