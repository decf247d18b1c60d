import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ZodType } from "zod";
import { NumericHistogram } from "../../shared/drift.js";
import {
  ContainerImage,
  MANIFEST_FILE_NAME,
  type Manifest,
  parseManifest,
  parseManifestPath,
} from "../../shared/manifest.js";
import { CommitSha, ModelName, RepositoryName } from "../../shared/names.js";
import { mulberry32, parseRowsJsonl } from "./dataset.js";
import type { LabelledTransaction } from "./features.js";
import { compileScorer, evaluate, MODEL_FILE_NAME, serializeModel, train } from "./model.js";
import { type ObjectIO, ObjectNotFoundError, parseGsUri, storageObjectIO } from "./object-io.js";

/**
 * The fraud detector's trainer, run by a Vertex AI CustomJob (or the local stand-in) as
 *   node --import tsx examples/fraud-detector/train.ts --data gs://B/datasets/fraud-detector/train.jsonl \
 *     --model fraud-detector --commit <sha> --repository owner/name --serving-container <image>
 * with AIP_MODEL_DIR set by Vertex AI. It writes model.json into AIP_MODEL_DIR, then
 * modelgate.json into the parent directory, last: that object's finalize event is
 * modelgate's signal that the artifact is complete.
 */

export const FRAMEWORK = "modelgate-example-logistic-regression";
/** The baseline is the score histogram on the evaluation split: 20 equal bins over [0, 1]. */
export const BASELINE_BINS = 20;
const EVAL_SHARE = 0.2;
const SPLIT_SEED = 20240501;

export interface TrainingOptions {
  /** gs:// URI of the training data (JSON Lines). */
  data: string;
  /** gs:// URI of a separate evaluation set; without it, a deterministic 20 % of `data` is held out. */
  eval?: string;
  model: string;
  commit: string;
  repository: string;
  servingContainer: string;
  /** Vertex AI's AIP_MODEL_DIR: gs://BUCKET/models/<model>/<commit>/model/ */
  modelDir: string;
}

export interface TrainingResult {
  manifest: Manifest;
  manifestUri: string;
  modelUri: string;
  trainExamples: number;
  evalExamples: number;
}

type Env = Readonly<Record<string, string | undefined>>;

// Each option: its command-line flag and the environment variable that stands in for it.
const SOURCES = {
  data: { flag: "data", env: "MODELGATE_TRAINING_DATA" },
  eval: { flag: "eval", env: "MODELGATE_EVAL_DATA" },
  model: { flag: "model", env: "MODELGATE_MODEL" },
  commit: { flag: "commit", env: "MODELGATE_COMMIT" },
  repository: { flag: "repository", env: "MODELGATE_REPOSITORY" },
  servingContainer: { flag: "serving-container", env: "MODELGATE_SERVING_CONTAINER" },
} as const;

/**
 * Reads the options from the command line, falling back to MODELGATE_* variables, and
 * AIP_MODEL_DIR from the environment. Errors name the flag or variable to set.
 */
export function parseTrainingOptions(argv: readonly string[], env: Env): TrainingOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(Object.values(SOURCES).map((s) => [s.flag, { type: "string" as const }])),
    strict: true,
    allowPositionals: false,
  });
  const pick = (key: keyof typeof SOURCES): string | undefined => {
    const { flag, env: variable } = SOURCES[key];
    const value = values[flag] ?? env[variable];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const need = (key: keyof typeof SOURCES): string => {
    const value = pick(key);
    if (value === undefined) {
      throw new Error(`missing --${SOURCES[key].flag} (or the ${SOURCES[key].env} environment variable)`);
    }
    return value;
  };
  const check = (key: keyof typeof SOURCES, value: string, schema: ZodType<string>): string => {
    const result = schema.safeParse(value);
    if (!result.success) {
      throw new Error(
        `--${SOURCES[key].flag} ${JSON.stringify(value)}: expected ${result.error.issues[0]?.message}`,
      );
    }
    return value;
  };
  const gsUri = (key: keyof typeof SOURCES, value: string): string => {
    try {
      parseGsUri(value);
    } catch (error) {
      throw new Error(`--${SOURCES[key].flag}: ${(error as Error).message}`);
    }
    return value;
  };

  const modelDirValue = env.AIP_MODEL_DIR;
  if (!modelDirValue) {
    throw new Error(
      "missing the AIP_MODEL_DIR environment variable (Vertex AI sets it from baseOutputDirectory)",
    );
  }
  let modelDir: string;
  try {
    parseGsUri(modelDirValue);
    modelDir = modelDirValue.endsWith("/") ? modelDirValue : `${modelDirValue}/`;
  } catch (error) {
    throw new Error(`AIP_MODEL_DIR: ${(error as Error).message}`);
  }

  const evalUri = pick("eval");
  return {
    data: gsUri("data", need("data")),
    ...(evalUri === undefined ? {} : { eval: gsUri("eval", evalUri) }),
    model: check("model", need("model"), ModelName),
    commit: check("commit", need("commit"), CommitSha),
    repository: check("repository", need("repository"), RepositoryName),
    servingContainer: check("servingContainer", need("servingContainer"), ContainerImage),
    modelDir,
  };
}

async function readRows(io: ObjectIO, uri: string): Promise<LabelledTransaction[]> {
  let data: Buffer;
  try {
    data = await io.read(uri);
  } catch (error) {
    const reason =
      error instanceof ObjectNotFoundError ? "the object does not exist" : (error as Error).message;
    throw new Error(`cannot read ${uri}: ${reason}`, { cause: error });
  }
  const rows = parseRowsJsonl(data.toString("utf8"), uri);
  if (rows.length === 0) throw new Error(`${uri} holds no rows`);
  return rows;
}

/** A deterministic train/eval split: a seeded shuffle, the last 20 % held out. */
export function splitForEvaluation<T>(rows: readonly T[]): { train: T[]; eval: T[] } {
  const shuffled = [...rows];
  const random = mulberry32(SPLIT_SEED);
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as T, shuffled[i] as T];
  }
  const evalCount = Math.max(1, Math.round(shuffled.length * EVAL_SHARE));
  return {
    train: shuffled.slice(0, shuffled.length - evalCount),
    eval: shuffled.slice(shuffled.length - evalCount),
  };
}

/** Where the manifest goes for a model directory: its parent, which must be models/<model>/<commit>/. */
export function manifestUriFor(
  modelDir: string,
  model: string,
  commit: string,
): { uri: string; artifactDir: string } {
  const { bucket, name } = parseGsUri(modelDir);
  const segments = name.split("/").filter((s) => s !== "");
  const artifactDir = `${segments.pop() ?? ""}/`;
  const manifestName = `${segments.join("/")}/${MANIFEST_FILE_NAME}`;
  const target = parseManifestPath(manifestName);
  if (target === null || target.model !== model || target.commit !== commit) {
    // modelgate only reacts to models/<model>/<commit>/modelgate.json; anywhere else, the run would vanish.
    throw new Error(
      `AIP_MODEL_DIR ${modelDir} is not models/${model}/${commit}/<dir>/: set the job's baseOutputDirectory to gs://${bucket}/models/${model}/${commit}/`,
    );
  }
  return { uri: `gs://${bucket}/${manifestName}`, artifactDir };
}

/** Trains, evaluates and publishes the artifact: model.json first, modelgate.json last. */
export async function runTraining(
  options: TrainingOptions,
  io: ObjectIO,
  now: () => Date = () => new Date(),
): Promise<TrainingResult> {
  // Check the destination before spending time on training.
  const { uri: manifestUri, artifactDir } = manifestUriFor(options.modelDir, options.model, options.commit);

  const rows = await readRows(io, options.data);
  const split =
    options.eval === undefined
      ? splitForEvaluation(rows)
      : { train: rows, eval: await readRows(io, options.eval) };
  if (split.train.length < 2)
    throw new Error(`${options.data}: need at least 2 training rows, got ${split.train.length}`);

  const model = train(split.train);
  const score = compileScorer(model);
  const scores = new Float64Array(split.eval.length);
  const labels = new Uint8Array(split.eval.length);
  for (let i = 0; i < split.eval.length; i++) {
    const row = split.eval[i] as LabelledTransaction;
    scores[i] = score(row);
    labels[i] = row.label;
  }
  const metrics = evaluate(scores, labels, model.threshold);
  const histogram = NumericHistogram.uniform(0, 1, BASELINE_BINS);
  histogram.addAll(scores);

  // Validate before any write: a manifest modelgate would reject must not leave half an artifact.
  const manifest = parseManifest({
    schemaVersion: 1,
    model: options.model,
    commit: options.commit,
    repository: options.repository,
    framework: FRAMEWORK,
    metrics: { ...metrics },
    baseline: histogram.toBaseline(),
    serving: { container: options.servingContainer, outputKey: "score" },
    artifactDir,
    trainingData: options.data,
    created: now().toISOString(),
  });

  const modelUri = `${options.modelDir}${MODEL_FILE_NAME}`;
  await io.write(modelUri, serializeModel(model), "application/json");
  await io.write(manifestUri, `${JSON.stringify(manifest, null, 2)}\n`, "application/json");
  return {
    manifest,
    manifestUri,
    modelUri,
    trainExamples: split.train.length,
    evalExamples: split.eval.length,
  };
}

/** The process: parse, connect, train, report; exit code 0 on success, 1 with a stderr message on failure. */
export async function main(argv: readonly string[], env: Env): Promise<number> {
  try {
    const options = parseTrainingOptions(argv, env);
    // Loaded here so importing this module (tests, the predictor) never pulls in the client.
    const { Storage } = await import("@google-cloud/storage");
    const projectId =
      env.GOOGLE_CLOUD_PROJECT ??
      env.CLOUD_ML_PROJECT_ID ??
      (env.STORAGE_EMULATOR_HOST ? "modelgate-local" : undefined);
    const apiEndpoint = env.MODELGATE_STORAGE_API_ENDPOINT;
    // With STORAGE_EMULATOR_HOST (or an explicit endpoint) the client talks to that server without credentials.
    const storage = new Storage({
      ...(projectId ? { projectId } : {}),
      ...(apiEndpoint ? { apiEndpoint } : {}),
    });
    const result = await runTraining(options, storageObjectIO(storage));
    console.log(
      JSON.stringify({
        severity: "INFO",
        message: `trained ${options.model}@${options.commit}: accuracy ${result.manifest.metrics.accuracy.toFixed(4)}`,
        job: env.CLOUD_ML_JOB_ID,
        manifest: result.manifestUri,
        trainExamples: result.trainExamples,
        evalExamples: result.evalExamples,
        metrics: result.manifest.metrics,
      }),
    );
    return 0;
  } catch (error) {
    console.error(`fraud-detector trainer failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await main(process.argv.slice(2), process.env);
  // Exit explicitly: the storage client's keep-alive sockets must not hold the job open.
  process.exit(code);
}
