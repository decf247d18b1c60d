import * as z from "zod";
import { sameRepository } from "./commit.js";
import { defaultDriftMetric, driftMetricNames } from "./drift-metrics.js";
import { globProblem } from "./glob.js";
import { ModelName, RepositoryName } from "./names.js";
import { RolloutConfig } from "./rollout-config.js";

const Percent = z.number().int().min(1).max(100);

/** A glob matched against input from a push: bounded so that matching stays fast (see shared/glob.ts). */
const Glob = z
  .string()
  .min(1)
  .superRefine((pattern, ctx) => {
    const problem = globProblem(pattern);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const TrainingConfig = z.strictObject({
  /** Training container image (Artifact Registry URI). */
  container: z.string().min(1),
  /**
   * The image repository CI pushes the trainer images it builds to (no tag, no digest). A training request may name
   * an image only as this repository plus `@sha256:<digest>`, or the configured `container`; unset, only `container`.
   */
  ciImageRepository: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9.-]*(:[0-9]{1,5})?(\/[a-z0-9][a-z0-9._-]*)+$/,
      "an image repository such as us-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE (no tag or digest)",
    )
    .optional(),
  /** Overrides the container's entrypoint. */
  command: z.array(z.string()).default([]),
  /** Arguments; `{bucket}`, `{model}` and `{commit}` are replaced. */
  args: z.array(z.string()).default([]),
  machineType: z.string().min(1).default("n1-standard-4"),
  /** The service account the CustomJob runs as (the trainer identity). */
  serviceAccount: z.string().min(1).optional(),
  /** How long a training job may run before modelgate stops waiting for it. */
  timeoutMinutes: z.number().int().min(1).max(10_080).default(120),
});

const ServingConfig = z.strictObject({
  /** Serving container image the model version is uploaded with. */
  container: z.string().min(1),
  predictRoute: z.string().startsWith("/").optional(),
  healthRoute: z.string().startsWith("/").optional(),
  machineType: z.string().min(1).default("n1-standard-2"),
  minReplicas: z.number().int().min(1).default(1),
  maxReplicas: z.number().int().min(1).default(1),
});

const PromotionConfig = z.strictObject({
  /** Glob for tags that promote a commit; default `promote/<model>/*`. */
  tagPattern: Glob.optional(),
  /** Deploy every registered version without waiting for a tag. */
  autoDeploy: z.boolean().default(false),
  /** GitHub logins allowed to promote by tag; empty (the default) means nobody: promotion tags are refused. */
  promoters: z.array(z.string().min(1)).default([]),
  /** A tag push older than this (by `repository.pushed_at`) is refused as replayed or late; push the tag again. */
  maxTagAgeMinutes: z.number().int().min(1).max(10_080).default(60),
});

const DriftConfig = z.strictObject({
  /** As Vertex AI Model Monitoring: Jensen-Shannon for numeric outputs, L-infinity for categorical ones. */
  metric: z.enum(driftMetricNames).default(defaultDriftMetric),
  threshold: z.number().default(0.1),
});

const VerificationConfig = z.strictObject({
  /** Object name of the labelled golden set (JSONL of {"instance": …, "label": …}) in the artifact bucket. */
  goldenSet: z.string().min(1),
  minAccuracy: z.number().min(0).max(1).default(0.8),
  /** Largest accuracy drop allowed against the serving version's recorded accuracy. */
  maxAccuracyDrop: z.number().min(0).max(1).default(0.05),
  drift: DriftConfig.prefault({}),
  /** Instances per Predict request. */
  batchSize: z.number().int().min(1).max(10_000).default(100),
  /** Predict requests in flight at once; size it to the endpoint's instance limit. */
  concurrency: z.number().int().min(1).max(256).default(4),
  /** Predict requests served by other deployed models are retried this many times to reach the candidate. */
  maxRequests: z.number().int().min(1).default(100_000),
});

const TektonMapping = z.strictObject({
  /** Pipeline names (label tekton.dev/pipeline) whose successful runs concern this model. */
  pipelines: z.array(z.string().min(1)).min(1),
  /** What a successful run means. */
  emits: z.enum(["artifact-ready", "training-requested"]),
  /** Which run results (or params) carry the values. */
  results: z
    .strictObject({
      model: z.string().default("MODEL_NAME"),
      commit: z.string().default("GIT_COMMIT"),
      artifactUri: z.string().default("ARTIFACT_URI"),
      image: z.string().default("IMAGE_DIGEST"),
    })
    .prefault({}),
});

export const ModelConfig = z.strictObject({
  repository: RepositoryName,
  /** Branch whose pushes retrain; default: the repository's default branch from the push payload. */
  branch: z.string().min(1).optional(),
  /** Globs over repository paths whose change means "retrain". */
  paths: z.array(Glob).min(1),
  training: TrainingConfig,
  serving: ServingConfig,
  /** Vertex AI endpoint id in the configured project and region. */
  endpoint: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$|^[0-9]{1,19}$/, "an endpoint id ([a-z0-9-], or numeric)"),
  promotion: PromotionConfig.prefault({}),
  canary: z.strictObject({ trafficPercent: Percent.max(99).default(10) }).prefault({}),
  /** Progressive delivery in steps (shared/rollout-plan.ts); absent, the single canary above, then 100 %. */
  rollout: RolloutConfig.optional(),
  verification: VerificationConfig,
  tekton: TektonMapping.optional(),
  /** Releases declared in the repository's releases file (docs/releases.md). */
  releases: z
    .strictObject({
      /** What the scheduled reconcile does when the endpoint differs from the serving release. */
      drift: z.enum(["report", "repair"]).default("report"),
    })
    .prefault({}),
});

const KubernetesName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "a Kubernetes object name (lowercase, at most 253)");

/** A Flux object whose successful reconciliation applies the releases file at the reconciled commit. */
const FluxObject = z.strictObject({
  /** The object's kind as Flux reports it in `involvedObject.kind`, e.g. Kustomization or GitRepository. */
  kind: z.string().regex(/^[A-Z][A-Za-z0-9]{0,62}$/, "a Kubernetes kind such as Kustomization"),
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "a Kubernetes namespace"),
  name: KubernetesName,
  /** The repository whose commit the object reconciles (one of github.repositories). */
  repository: RepositoryName,
});

export const ConfigSchema = z
  .strictObject({
    project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a Google Cloud project id"),
    region: z.string().regex(/^[a-z]+-[a-z]+[0-9]$/, 'a region such as "us-central1"'),
    /** The artifact bucket: models, datasets, golden sets, reports, registry, ledger, claims. */
    bucket: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, "a Cloud Storage bucket name"),
    github: z
      .strictObject({
        /** Repositories allowed to trigger work. */
        repositories: z.array(RepositoryName).default([]),
        /**
         * The GitHub App modelgate reads repositories and writes commit statuses as (docs/releases.md); its private
         * key is the Secret Manager secret `Secret.githubAppKey`. Unset, nothing calls GitHub.
         */
        app: z
          .strictObject({
            id: z.number().int().min(1),
            installationId: z.number().int().min(1),
          })
          .optional(),
        /** The releases file's path at the root of a model repository. */
        releasesFile: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "a repository path such as modelgate.releases.yaml")
          .refine((path) => !path.split("/").includes(".."), "a path without '..'")
          .default("modelgate.releases.yaml"),
      })
      .prefault({}),
    tekton: z
      .strictObject({
        /** Namespaces whose runs may trigger work. */
        namespaces: z
          .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a Kubernetes namespace"))
          .default([]),
      })
      .prefault({}),
    flux: z
      .strictObject({
        /** The Flux objects whose ReconciliationSucceeded events the receiver acts on; none, it acts on nothing. */
        objects: z.array(FluxObject).max(100).default([]),
        /**
         * An event older (or further in the future) than this, by its `timestamp`, is refused as replayed or late.
         * notification-controller retries a failed post 4 times, 2 to 30 seconds apart (its internal/notifier/client.go),
         * so an honest event arrives within about two minutes of its timestamp; 10 leaves room for clock skew.
         */
        maxEventAgeMinutes: z.number().int().min(1).max(1440).default(10),
      })
      .prefault({}),
    models: z.record(ModelName, ModelConfig).refine((m) => Object.keys(m).length > 0, "at least one model"),
  })
  .superRefine((config, ctx) => {
    config.flux.objects.forEach((object, index) => {
      if (!config.github.repositories.some((allowed) => sameRepository(allowed, object.repository))) {
        ctx.addIssue({
          code: "custom",
          path: ["flux", "objects", index, "repository"],
          message: `repository "${object.repository}" is not listed under github.repositories`,
        });
      }
    });
    for (const [name, model] of Object.entries(config.models)) {
      if (!config.github.repositories.some((allowed) => sameRepository(allowed, model.repository))) {
        ctx.addIssue({
          code: "custom",
          path: ["models", name, "repository"],
          message: `repository "${model.repository}" is not listed under github.repositories`,
        });
      }
      if (model.serving.maxReplicas < model.serving.minReplicas) {
        ctx.addIssue({
          code: "custom",
          path: ["models", name, "serving", "maxReplicas"],
          message: "must be at least serving.minReplicas",
        });
      }
    }
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ModelConfig = z.infer<typeof ModelConfig>;
