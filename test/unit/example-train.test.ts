import { afterEach, describe, expect, it, vi } from "vitest";
import { generateRows, toJsonl } from "../../examples/fraud-detector/dataset.js";
import { memoryObjectIO } from "../../examples/fraud-detector/memory-object-io.js";
import { loadPredictor } from "../../examples/fraud-detector/predictor.js";
import {
  BASELINE_BINS,
  main,
  parseTrainingOptions,
  runTraining,
  type TrainingOptions,
} from "../../examples/fraud-detector/train.js";
import { parseManifest } from "../../shared/manifest.js";

const BUCKET = "modelgate-artifacts";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const DATA = `gs://${BUCKET}/datasets/fraud-detector/train.jsonl`;
const MODEL_DIR = `gs://${BUCKET}/models/fraud-detector/${COMMIT}/model/`;
const MANIFEST = `gs://${BUCKET}/models/fraud-detector/${COMMIT}/modelgate.json`;
const CREATED = new Date("2024-05-01T12:00:00.000Z");

const options: TrainingOptions = {
  data: DATA,
  model: "fraud-detector",
  commit: COMMIT,
  repository: "acme/fraud-models",
  servingContainer: "local/fraud-detector-predictor:latest",
  modelDir: MODEL_DIR,
};
const trainJsonl = toJsonl(generateRows({ seed: 1, count: 1000 }));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("runTraining", () => {
  it("writes model.json, then a valid modelgate.json last, in the base output directory", async () => {
    const io = memoryObjectIO({ [DATA]: trainJsonl });
    const result = await runTraining(options, io, () => CREATED);

    expect(io.writes).toEqual([`${MODEL_DIR}model.json`, MANIFEST]);
    expect(result.manifestUri).toBe(MANIFEST);
    expect(io.objects.get(MANIFEST)?.contentType).toBe("application/json");

    const manifest = parseManifest(JSON.parse(io.objects.get(MANIFEST)?.data.toString() ?? ""));
    expect(manifest).toEqual(result.manifest);
    expect(manifest).toMatchObject({
      schemaVersion: 1,
      model: "fraud-detector",
      commit: COMMIT,
      repository: "acme/fraud-models",
      artifactDir: "model/",
      trainingData: DATA,
      created: "2024-05-01T12:00:00.000Z",
      serving: { container: "local/fraud-detector-predictor:latest", outputKey: "score" },
    });
    expect(Object.keys(manifest.metrics).sort()).toEqual(["accuracy", "auc", "precision", "recall"]);
    expect(manifest.metrics.accuracy).toBeGreaterThan(0.9);
    expect(result.trainExamples).toBe(800);
    expect(result.evalExamples).toBe(200);
    if (manifest.baseline.kind !== "numeric") throw new Error("expected a numeric baseline");
    expect(manifest.baseline.binEdges).toHaveLength(BASELINE_BINS + 1);
    expect(manifest.baseline.binEdges[0]).toBe(0);
    expect(manifest.baseline.binEdges.at(-1)).toBe(1);
    expect(manifest.baseline.counts.reduce((a, b) => a + b, 0)).toBe(200);
  });

  it("produces an artifact the predictor serves", async () => {
    const io = memoryObjectIO({ [DATA]: trainJsonl });
    await runTraining(options, io, () => CREATED);
    const predictor = await loadPredictor((path) => io.read(`${MODEL_DIR}${path}`));
    const [prediction] = predictor.predict([generateRows({ seed: 3, count: 1 })[0]]);
    expect(prediction?.score).toBeGreaterThanOrEqual(0);
    expect(prediction?.score).toBeLessThanOrEqual(1);
  });

  it("is reproducible: the same data and commit give the same bytes", async () => {
    const first = memoryObjectIO({ [DATA]: trainJsonl });
    const second = memoryObjectIO({ [DATA]: trainJsonl });
    await runTraining(options, first, () => CREATED);
    await runTraining(options, second, () => CREATED);
    for (const uri of [`${MODEL_DIR}model.json`, MANIFEST]) {
      expect(first.objects.get(uri)?.data.equals(second.objects.get(uri)?.data ?? Buffer.alloc(0))).toBe(
        true,
      );
    }
  });

  it("evaluates on a separate set when given one", async () => {
    const evalUri = `gs://${BUCKET}/datasets/fraud-detector/eval.jsonl`;
    const io = memoryObjectIO({
      [DATA]: trainJsonl,
      [evalUri]: toJsonl(generateRows({ seed: 4, count: 300 })),
    });
    const result = await runTraining({ ...options, eval: evalUri }, io, () => CREATED);
    expect(result.trainExamples).toBe(1000);
    expect(result.evalExamples).toBe(300);
  });

  it.each([
    ["missing data", {}, /cannot read gs:\/\/.*train\.jsonl: the object does not exist/],
    ["bad data", { [DATA]: '{"amount":1}\n' }, /train\.jsonl line 1\.hour: expected/],
    ["empty data", { [DATA]: "\n" }, /train\.jsonl holds no rows/],
  ])("fails on %s and writes nothing", async (_case, objects, message) => {
    const io = memoryObjectIO(objects);
    await expect(runTraining(options, io)).rejects.toThrow(message);
    expect(io.writes).toEqual([]);
  });

  it.each([
    `gs://${BUCKET}/models/fraud-detector/${COMMIT}/`,
    `gs://${BUCKET}/models/other-model/${COMMIT}/model/`,
    `gs://${BUCKET}/somewhere/else/model/`,
  ])("refuses AIP_MODEL_DIR %s, where modelgate would never see the manifest", async (modelDir) => {
    const io = memoryObjectIO({ [DATA]: trainJsonl });
    await expect(runTraining({ ...options, modelDir }, io)).rejects.toThrow(
      /AIP_MODEL_DIR .* is not models\//,
    );
    expect(io.writes).toEqual([]);
  });
});

describe("parseTrainingOptions", () => {
  const argv = [
    "--data",
    DATA,
    "--model",
    "fraud-detector",
    `--commit=${COMMIT}`,
    "--repository",
    "acme/fraud-models",
    "--serving-container",
    "local/fraud-detector-predictor",
  ];

  it("reads flags and AIP_MODEL_DIR, adding the trailing slash Vertex AI may omit", () => {
    expect(parseTrainingOptions(argv, { AIP_MODEL_DIR: MODEL_DIR.slice(0, -1) })).toEqual({
      ...options,
      servingContainer: "local/fraud-detector-predictor",
    });
  });

  it("falls back to MODELGATE_* variables, flags winning", () => {
    const parsed = parseTrainingOptions(["--model", "fraud-detector"], {
      AIP_MODEL_DIR: MODEL_DIR,
      MODELGATE_TRAINING_DATA: DATA,
      MODELGATE_EVAL_DATA: `gs://${BUCKET}/datasets/fraud-detector/eval.jsonl`,
      MODELGATE_MODEL: "ignored",
      MODELGATE_COMMIT: COMMIT,
      MODELGATE_REPOSITORY: "acme/fraud-models",
      MODELGATE_SERVING_CONTAINER: "local/fraud-detector-predictor",
    });
    expect(parsed.model).toBe("fraud-detector");
    expect(parsed.eval).toBe(`gs://${BUCKET}/datasets/fraud-detector/eval.jsonl`);
  });

  it.each([
    [argv, {}, /missing the AIP_MODEL_DIR environment variable/],
    [argv, { AIP_MODEL_DIR: "/tmp/model" }, /AIP_MODEL_DIR: expected a gs:\/\/bucket\/object URI/],
    [
      argv.slice(2),
      { AIP_MODEL_DIR: MODEL_DIR },
      /missing --data \(or the MODELGATE_TRAINING_DATA environment variable\)/,
    ],
    [
      [...argv, "--data", "/local/file"],
      { AIP_MODEL_DIR: MODEL_DIR },
      /--data: expected a gs:\/\/bucket\/object URI/,
    ],
    [
      [...argv, "--commit", "HEAD"],
      { AIP_MODEL_DIR: MODEL_DIR },
      /--commit "HEAD": expected a git commit SHA/,
    ],
    [[...argv, "--model", "Fraud"], { AIP_MODEL_DIR: MODEL_DIR }, /--model "Fraud": expected a model name/],
    [
      [...argv, "--repository", "acme"],
      { AIP_MODEL_DIR: MODEL_DIR },
      /--repository "acme": expected a repository as "owner\/name"/,
    ],
    [[...argv, "--epochs", "3"], { AIP_MODEL_DIR: MODEL_DIR }, /Unknown option '--epochs'/],
  ])("rejects %j with %j", (args, env, message) => {
    expect(() => parseTrainingOptions(args, env)).toThrow(message);
  });
});

describe("main", () => {
  it("exits 1 with a stderr message naming what is missing", async () => {
    const stderr = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main([], {})).toBe(1);
    expect(stderr).toHaveBeenCalledWith(
      "fraud-detector trainer failed: missing the AIP_MODEL_DIR environment variable (Vertex AI sets it from baseOutputDirectory)",
    );
  });
});
