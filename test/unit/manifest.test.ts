import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ArtifactError } from "../../shared/errors.js";
import {
  type Manifest,
  ManifestError,
  manifestPath,
  modelBaseDir,
  parseManifest,
  parseManifestPath,
} from "../../shared/manifest.js";

const validManifest = (): Record<string, unknown> => ({
  schemaVersion: 1,
  model: "fraud-detector",
  commit: "3f2a9c1d0b7e4f5a6b8c9d0e1f2a3b4c5d6e7f80",
  repository: "acme/fraud-models",
  framework: "modelgate-example-logistic-regression",
  metrics: { accuracy: 0.95, precision: 0.8, recall: 0.7, auc: 0.97 },
  baseline: { kind: "numeric", binEdges: [0, 0.5, 1], counts: [90, 10] },
  serving: { container: "europe-docker.pkg.dev/acme/serving/fraud:1.2.0", outputKey: "score" },
  artifactDir: "model/",
  trainingData: "gs://acme-artifacts/datasets/fraud-detector/train.jsonl",
  created: "2024-05-01T12:00:00.000Z",
});

/** A valid manifest with one field replaced (dotted path), or removed when value is `undefined`. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const manifest = validManifest();
  const keys = path.split(".");
  let target = manifest as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys.at(-1) as string;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return manifest;
}

describe("parseManifest", () => {
  it("accepts a valid manifest and returns it typed", () => {
    const manifest: Manifest = parseManifest(validManifest());
    expect(manifest.model).toBe("fraud-detector");
    expect(manifest.baseline.kind).toBe("numeric");
    expect(manifest.metrics.accuracy).toBe(0.95);
  });

  it("accepts a categorical baseline, optional routes, a short SHA, a tagless image and an offset time", () => {
    const manifest = parseManifest({
      ...validManifest(),
      commit: "3f2a9c1",
      baseline: { kind: "categorical", counts: { fraud: 3, legit: 97 } },
      serving: {
        container: "fraud-serving",
        predictRoute: "/predict",
        healthRoute: "/health",
        outputKey: "class",
      },
      created: "2024-05-01T14:00:00+02:00",
    });
    expect(manifest.baseline).toEqual({ kind: "categorical", counts: { fraud: 3, legit: 97 } });
    expect(manifest.serving.predictRoute).toBe("/predict");
  });

  it("ignores fields it does not know, so trainers may record more", () => {
    const manifest = parseManifest({ ...validManifest(), notes: "extra" });
    expect(manifest).not.toHaveProperty("notes");
  });

  it.each([
    ["schemaVersion", 2, "schemaVersion"],
    ["model", "Fraud", "model"],
    ["model", "1fraud", "model"],
    ["model", `a${"b".repeat(63)}`, "model"],
    ["model", "fraud/detector", "model"],
    ["commit", "abc12", "commit"],
    ["commit", "ABCDEF1234", "commit"],
    ["commit", "g".repeat(40), "commit"],
    ["repository", "acme", "repository"],
    ["repository", "acme/fraud/models", "repository"],
    ["framework", "", "framework"],
    ["framework", undefined, "framework"],
    ["metrics.accuracy", 1.2, "metrics.accuracy"],
    ["metrics.accuracy", -0.1, "metrics.accuracy"],
    ["metrics.accuracy", undefined, "metrics.accuracy"],
    ["metrics.auc", Number.NaN, "metrics.auc"],
    ["metrics.auc", Number.POSITIVE_INFINITY, "metrics.auc"],
    ["metrics.auc", "0.9", "metrics.auc"],
    ["baseline.kind", "histogram", "baseline.kind"],
    ["baseline.binEdges", [0, 1, 0.5], "baseline.binEdges[2]"],
    ["baseline.binEdges", [0, 0.5, 0.5], "baseline.binEdges[2]"],
    ["baseline.binEdges", [0, 1], "baseline.binEdges"],
    ["baseline.counts", [1.5, 2], "baseline.counts[0]"],
    ["baseline.counts", [-1, 2], "baseline.counts[0]"],
    ["baseline.counts", [0, 0], "baseline.counts"],
    ["serving.container", "", "serving.container"],
    ["serving.container", "Not An Image", "serving.container"],
    ["serving.outputKey", undefined, "serving.outputKey"],
    ["serving.predictRoute", "predict", "serving.predictRoute"],
    ["artifactDir", "/model/", "artifactDir"],
    ["artifactDir", "model", "artifactDir"],
    ["artifactDir", "../model/", "artifactDir"],
    ["trainingData", "s3://bucket/data.jsonl", "trainingData"],
    ["created", "yesterday", "created"],
    ["created", undefined, "created"],
  ])("rejects %s = %j, naming %s", (field, value, expectedPath) => {
    let caught: unknown;
    try {
      parseManifest(withField(field, value));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ManifestError);
    expect(caught).toBeInstanceOf(ArtifactError);
    expect(caught).toMatchObject({ code: "INVALID_ARTIFACT", retryable: false });
    const error = caught as ManifestError;
    expect(error.issues.map((issue) => issue.path)).toContain(expectedPath);
    expect(error.message).toContain(`${expectedPath}: `);
  });

  it("rejects a categorical baseline with a bad count or no observations", () => {
    const bad = { ...validManifest(), baseline: { kind: "categorical", counts: { fraud: -1 } } };
    expect(() => parseManifest(bad)).toThrow(/baseline\.counts\.fraud: /);
    const empty = { ...validManifest(), baseline: { kind: "categorical", counts: {} } };
    expect(() => parseManifest(empty)).toThrow(/baseline\.counts: expected at least one observation/);
  });

  it("says what was expected, not only where", () => {
    expect(() => parseManifest(withField("commit", "xyz"))).toThrow(/commit: a git commit SHA \(7 to 40/);
    expect(() => parseManifest(withField("baseline.binEdges", [0, 1]))).toThrow(
      "baseline.binEdges: expected counts.length + 1 = 3 bin edges, got 2",
    );
  });

  it.each([null, "modelgate.json", [], 42])("rejects a non-object (%j) at the root", (value) => {
    expect(() => parseManifest(value)).toThrow(/invalid modelgate\.json: \(root\): /);
  });
});

describe("docs/trainer-contract.md", () => {
  it("shows an example manifest that parses", () => {
    const doc = readFileSync(new URL("../../docs/trainer-contract.md", import.meta.url), "utf8");
    const example = /## Example\s+```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    const manifest = parseManifest(JSON.parse(example ?? ""));
    expect(manifestPath(manifest.model, manifest.commit)).toBe(
      "models/fraud-detector/3f2a9c1d0b7e4f5a6b8c9d0e1f2a3b4c5d6e7f80/modelgate.json",
    );
  });
});

describe("manifest paths", () => {
  it("builds the base directory and manifest path", () => {
    expect(modelBaseDir("fraud-detector", "abc1234")).toBe("models/fraud-detector/abc1234/");
    expect(manifestPath("fraud-detector", "abc1234")).toBe("models/fraud-detector/abc1234/modelgate.json");
  });

  it.each([
    ["../etc", "abc1234"],
    ["fraud-detector", "../../x"],
    ["", "abc1234"],
    ["fraud-detector", ""],
  ])("refuses to build a path from model %j and commit %j", (model, commit) => {
    expect(() => manifestPath(model, commit)).toThrow(/^(model|commit) /);
  });

  it("parses what manifestPath builds", () => {
    const commit = "3f2a9c1d0b7e4f5a6b8c9d0e1f2a3b4c5d6e7f80";
    expect(parseManifestPath(manifestPath("fraud_detector-2", commit))).toEqual({
      model: "fraud_detector-2",
      commit,
    });
  });

  it.each([
    "models/fraud-detector/abc1234/model.json",
    "models/fraud-detector/abc1234/modelgate.json.tmp",
    "models/fraud-detector/abc1234/model/modelgate.json",
    "models/fraud-detector//modelgate.json",
    "models//abc1234/modelgate.json",
    "models/../abc1234/modelgate.json",
    "models/fraud-detector/../modelgate.json",
    "models/fraud-detector/abc1234/../abc1234/modelgate.json",
    "/models/fraud-detector/abc1234/modelgate.json",
    "datasets/fraud-detector/abc1234/modelgate.json",
    "models/Fraud/abc1234/modelgate.json",
    "models/fraud-detector/ABC1234/modelgate.json",
    "models/fraud-detector/abc12/modelgate.json",
    "models/fraud-detector/abc1234/modelgate.json\n",
    "xmodels/fraud-detector/abc1234/modelgate.json",
    "",
  ])("does not take %j for a manifest", (objectName) => {
    expect(parseManifestPath(objectName)).toBeNull();
  });
});
