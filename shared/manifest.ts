import * as z from "zod";
import { ArtifactError } from "./errors.js";
import { CommitSha, ModelName, RepositoryName } from "./names.js";
import { formatIssues } from "./zod-issues.js";

/**
 * The artifact manifest, `models/<model>/<commit>/modelgate.json`: the contract between a
 * trainer and modelgate. The trainer writes it last, so its finalize event means "the
 * artifact is complete", and every later step re-reads it from the bucket rather than
 * trusting an event (ARCHITECTURE principle 1).
 */

export const MANIFEST_SCHEMA_VERSION = 1 as const;
export const MANIFEST_FILE_NAME = "modelgate.json";
/** Where the trainer writes the model files, relative to the base output directory (Vertex AI's AIP_MODEL_DIR). */
export const DEFAULT_ARTIFACT_DIR = "model/";

// A container image reference: [registry[:port]/]path[:tag][@sha256:digest], lowercase path.
const IMAGE_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE_PATTERN = new RegExp(
  `^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${IMAGE_COMPONENT}(?:/${IMAGE_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
const CONTAINER_IMAGE = "a container image URI such as europe-docker.pkg.dev/project/repo/image:tag";
/** A container image reference (registry, path, optional tag and digest). */
export const ContainerImage = z.string().regex(IMAGE_PATTERN, CONTAINER_IMAGE);
const GCS_URI_PATTERN = /^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]\/\S+$/;
const ROUTE_PATTERN = /^\/[^\s?#]*$/;

const countSchema = z.number().int("expected a whole number").nonnegative("expected a count ≥ 0");

const numericBaselineSchema = z
  .object({
    kind: z.literal("numeric"),
    binEdges: z.array(z.number()).min(2, "expected at least 2 bin edges"),
    counts: z.array(countSchema).min(1, "expected at least 1 bin"),
  })
  .superRefine((baseline, ctx) => {
    const { binEdges, counts } = baseline;
    if (binEdges.length !== counts.length + 1) {
      ctx.addIssue({
        code: "custom",
        path: ["binEdges"],
        message: `expected counts.length + 1 = ${counts.length + 1} bin edges, got ${binEdges.length}`,
      });
    }
    for (let i = 1; i < binEdges.length; i++) {
      // Strictly ascending: a zero-width bin could never be filled and would make drift ill-defined.
      if (!((binEdges[i] ?? Number.NaN) > (binEdges[i - 1] ?? Number.NaN))) {
        ctx.addIssue({
          code: "custom",
          path: ["binEdges", i],
          message: `expected strictly ascending bin edges, but ${binEdges[i]} follows ${binEdges[i - 1]}`,
        });
        break;
      }
    }
    if (counts.reduce((sum, c) => sum + c, 0) === 0) {
      ctx.addIssue({ code: "custom", path: ["counts"], message: "expected at least one observation" });
    }
  });

const categoricalBaselineSchema = z
  .object({
    kind: z.literal("categorical"),
    counts: z.record(z.string().min(1, "expected a non-empty category"), countSchema),
  })
  .superRefine((baseline, ctx) => {
    if (Object.values(baseline.counts).reduce((sum, c) => sum + c, 0) === 0) {
      ctx.addIssue({ code: "custom", path: ["counts"], message: "expected at least one observation" });
    }
  });

/** The distribution of a model's prediction outputs on its evaluation set: what drift is measured against. */
export const baselineSchema = z.discriminatedUnion(
  "kind",
  [numericBaselineSchema, categoricalBaselineSchema],
  {
    error: 'expected kind "numeric" or "categorical"',
  },
);

const metricsSchema = z
  .object({
    accuracy: z
      .number("expected a number")
      .min(0, "expected accuracy in [0, 1]")
      .max(1, "expected accuracy in [0, 1]"),
  })
  // zod 4 numbers are finite: NaN and ±Infinity are rejected.
  .catchall(z.number("expected a finite number"));

const servingSchema = z.object({
  container: z.string().regex(IMAGE_PATTERN, `expected ${CONTAINER_IMAGE}`),
  predictRoute: z.string().regex(ROUTE_PATTERN, 'expected an HTTP path starting with "/"').optional(),
  healthRoute: z.string().regex(ROUTE_PATTERN, 'expected an HTTP path starting with "/"').optional(),
  outputKey: z.string().min(1, "expected the name of the prediction field holding the score or class"),
});

const artifactDirSchema = z
  .string()
  .regex(/^(?:[A-Za-z0-9._-]+\/)+$/, 'expected a relative directory ending in "/", such as "model/"')
  .refine((dir) => !dir.split("/").some((segment) => segment === "." || segment === ".."), {
    message: 'expected a directory inside the base output directory (no "." or ".." segments)',
  });

/** The zod schema of modelgate.json, schema version 1. Unknown fields are ignored. */
export const manifestSchema = z.object({
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION, `expected schemaVersion ${MANIFEST_SCHEMA_VERSION}`),
  model: ModelName,
  commit: CommitSha,
  repository: RepositoryName,
  framework: z.string().min(1, "expected the framework name, such as scikit-learn or custom"),
  metrics: metricsSchema,
  baseline: baselineSchema,
  serving: servingSchema,
  artifactDir: artifactDirSchema,
  trainingData: z.string().regex(GCS_URI_PATTERN, "expected a gs://bucket/object URI").optional(),
  created: z.iso.datetime({
    offset: true,
    error: "expected an ISO 8601 date-time such as 2024-05-01T12:00:00Z",
  }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type Baseline = z.infer<typeof baselineSchema>;
export type NumericBaseline = Extract<Baseline, { kind: "numeric" }>;
export type CategoricalBaseline = Extract<Baseline, { kind: "categorical" }>;
export type ServingSpec = Manifest["serving"];

/** A modelgate.json that does not meet the contract; `issues` lists every problem with its field path. Permanent. */
export class ManifestError extends ArtifactError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>;

  constructor(issues: ReadonlyArray<{ path: string; message: string }>, options: { cause?: unknown } = {}) {
    super(`invalid modelgate.json: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, {
      ...options,
      details: { issues },
    });
    this.issues = issues;
  }
}

/** Validates a parsed modelgate.json; throws a ManifestError naming each bad field path and what was expected. */
export function parseManifest(json: unknown): Manifest {
  const result = manifestSchema.safeParse(json);
  if (result.success) return result.data;
  const issues = formatIssues(result.error).map(({ path, message }) => ({ path: path || "(root)", message }));
  throw new ManifestError(issues, { cause: result.error });
}

function assertSegment(schema: z.ZodType<string>, value: string, what: string): void {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ArtifactError(
      `${what} ${JSON.stringify(value)}: expected ${result.error.issues[0]?.message ?? "a valid name"}`,
    );
  }
}

/** The base output directory of a training run: `models/<model>/<commit>/` (Vertex AI's baseOutputDirectory). */
export function modelBaseDir(model: string, commit: string): string {
  // Validated because these names become object paths: nothing may escape models/<model>/.
  assertSegment(ModelName, model, "model");
  assertSegment(CommitSha, commit, "commit");
  return `models/${model}/${commit}/`;
}

/** The object name of a run's manifest: `models/<model>/<commit>/modelgate.json`. */
export function manifestPath(model: string, commit: string): string {
  return `${modelBaseDir(model, commit)}${MANIFEST_FILE_NAME}`;
}

// The same shapes as ModelName and CommitSha, anchored so nothing else (no "..", no empty segment) matches.
const MANIFEST_PATH_PATTERN = /^models\/([a-z][a-z0-9_-]{0,62})\/([0-9a-f]{7,40})\/modelgate\.json$/;

/** Recognises a manifest object name; anything but exactly `models/<model>/<commit>/modelgate.json` gives null. */
export function parseManifestPath(objectName: string): { model: string; commit: string } | null {
  const match = MANIFEST_PATH_PATTERN.exec(objectName);
  if (!match?.[1] || !match[2]) return null;
  return { model: match[1], commit: match[2] };
}
