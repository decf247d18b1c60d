import * as z from "zod";
import { ValidationError } from "./errors.js";
import { CommitSha, FullCommitSha, ModelName, RepositoryName } from "./names.js";
import { Topic, type TopicName } from "./topology.js";
import { formatIssues } from "./zod-issues.js";

/** The event that caused a message: GitHub delivery, CloudEvent, bucket object generation, or an upstream message. */
export const Cause = z.strictObject({
  source: z.string().min(1).max(512),
  id: z.string().min(1).max(512),
});
export type Cause = z.infer<typeof Cause>;

/** Every contract carries these: which version of the contract, who asked, for which model and commit. */
const envelope = {
  schemaVersion: z.literal(1),
  correlationId: z.string().min(1).max(128),
  model: ModelName,
  commit: CommitSha,
  repository: RepositoryName,
  causedBy: z.array(Cause).min(1).max(32),
  createdAt: z.iso.datetime({ offset: true }),
};

const GcsUri = z.string().regex(/^gs:\/\/[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]\/.*$/, "a gs://bucket/path URI");
const TrafficSplit = z.record(z.string().min(1), z.number().int().min(0).max(100));

export const TrainingRequested = z.strictObject({
  ...envelope,
  trigger: z.enum(["github-push", "tekton", "replay", "manual"]),
  ref: z.string().max(512).optional(),
  /** A training image CI built for this commit, `training.ciImageRepository@sha256:…`; overrides the container. */
  image: z.string().min(1).max(1024).optional(),
  requestedBy: z.string().max(256).optional(),
  /**
   * An explicit retrain (`modelgate retrain`): its attempt number is part of launchTraining's idempotency key, so
   * a commit whose training failed trains again although its first request was handled.
   */
  retrain: z.number().int().min(1).max(10_000).optional(),
});

export const ArtifactReady = z.strictObject({
  ...envelope,
  /** The base output directory `gs://<bucket>/models/<model>/<commit>/`. */
  artifactUri: GcsUri,
  /** Generation of the modelgate.json that was read, when known. */
  manifestGeneration: z.string().regex(/^\d+$/).optional(),
});

/**
 * A deployment that applies a release declared in a repository's releases file (shared/releases/): the commit
 * that declared it, carried along deployment-requested → deployment-ready → verification-completed so rolloutModel
 * can record the outcome in the model's applied state.
 */
export const ReleaseOrigin = z.strictObject({ declaredBy: CommitSha });
export type ReleaseOrigin = z.infer<typeof ReleaseOrigin>;

export const DeploymentRequested = z.strictObject({
  ...envelope,
  /** `release`: applyReleases applies a releases file; `release-repair`: the reconcile restores a declared release. */
  reason: z.enum(["promotion-tag", "auto-deploy", "manual", "release", "release-repair"]),
  tag: z.string().max(512).optional(),
  requestedBy: z.string().max(256).optional(),
  /** The canary share a release asks for; without it, the model's `canary.trafficPercent`. */
  canaryPercent: z.number().int().min(1).max(99).optional(),
  release: ReleaseOrigin.optional(),
});

const deploymentFields = {
  /** Full endpoint resource name. */
  endpoint: z.string().min(1),
  /** The model version deployed as the candidate: `projects/…/models/<id>` and its version id. */
  modelResource: z.string().min(1),
  versionId: z.string().min(1),
  deployedModelId: z.string().min(1),
  canaryPercent: z.number().int().min(1).max(100),
  /** The endpoint's traffic split before the canary, restored exactly on rollback. */
  previousTrafficSplit: TrafficSplit,
  /** The deployed model that served before (compared against), if any. */
  previousDeployedModelId: z.string().min(1).optional(),
  /** Which step of the model's rollout (shared/rollout-plan.ts) the candidate is at; absent: the first. */
  rolloutStep: z.number().int().min(0).max(19).optional(),
  release: ReleaseOrigin.optional(),
};

export const DeploymentReady = z.strictObject({
  ...envelope,
  ...deploymentFields,
});

/** What verification concluded about a candidate: rolloutModel promotes on pass and rolls back on fail. */
export const Verdict = { pass: "pass", fail: "fail", inconclusive: "inconclusive" } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** What a person asked of a paused or running rollout (`modelgate promote` / `modelgate abort`). */
export const ResumeAction = { promote: "promote", abort: "abort" } as const;
export type ResumeAction = (typeof ResumeAction)[keyof typeof ResumeAction];

/** A person's decision on a rollout: promote continues past the pause it stands at, abort rolls back. */
export const Resume = z.strictObject({
  action: z.enum(ResumeAction),
  /** The login it was given as (one of promotion.promoters). */
  by: z.string().min(1).max(256),
  at: z.iso.datetime({ offset: true }),
});
export type Resume = z.infer<typeof Resume>;

export const VerificationCompleted = z.strictObject({
  ...envelope,
  ...deploymentFields,
  verdict: z.enum(Verdict),
  reasons: z.array(z.string()).max(50),
  metrics: z.record(z.string(), z.number()),
  reportUri: GcsUri,
  /** Set when a person's promote or abort re-sends the step's verdict (cli/commands/rollout-decision.ts). */
  resume: Resume.optional(),
});

/** The envelope of a message about a repository commit rather than one model's: the commit is a full SHA. */
const commitEnvelope = {
  schemaVersion: envelope.schemaVersion,
  correlationId: envelope.correlationId,
  repository: envelope.repository,
  commit: FullCommitSha,
  causedBy: envelope.causedBy,
  createdAt: envelope.createdAt,
};

/**
 * A repository commit whose releases file (`github.releasesFile`) is to be applied: published by githubWebhook for
 * a push that touches the file, by the Flux receiver for a reconciled revision, or by hand. It concerns every model
 * the file names, so unlike the other contracts it has no `model`.
 */
export const ReleasesRequested = z.strictObject({
  ...commitEnvelope,
  trigger: z.enum(["github-push", "flux", "manual"]),
  ref: z.string().max(512).optional(),
  requestedBy: z.string().max(256).optional(),
  /** The Flux object whose reconciliation asked for it (trigger "flux"). */
  flux: z
    .strictObject({
      kind: z.string().min(1).max(128),
      namespace: z.string().min(1).max(253),
      name: z.string().min(1).max(253),
      revision: z.string().min(1).max(512),
    })
    .optional(),
});

/**
 * A request to compare every endpoint with its model's applied release (`releases/<model>.json`). Cloud Scheduler
 * publishes the same bytes every time, so nothing in it has to differ between runs: the Pub/Sub message id tells
 * runs apart, and a correlation id is given only by a caller that wants to find its run in the ledger.
 */
export const ReconcileRequested = z.strictObject({
  schemaVersion: z.literal(1),
  correlationId: z.string().min(1).max(128).optional(),
  trigger: z.enum(["schedule", "manual", "interval"]),
  requestedBy: z.string().max(256).optional(),
  /** Record the drift, request no repair (`modelgate reconcile --dry-run`). */
  dryRun: z.boolean().optional(),
  /** Only these models; every model with an applied release when absent. */
  models: z.array(ModelName).min(1).max(100).optional(),
  createdAt: z.iso.datetime({ offset: true }).optional(),
});

/** A link GitHub shows beside a status: http(s) only. */
const HttpUrl = z.url({ protocol: /^https?$/ }).max(2048);

/** A commit status to set on GitHub (shared/github/ports.ts CommitStatus), about a model's release or a whole file. */
const CommitStatusNotification = z.strictObject({
  ...commitEnvelope,
  /** The model the status is about, for the ledger; absent for a status about a whole releases file. */
  model: ModelName.optional(),
  kind: z.literal("commit-status"),
  state: z.enum(["pending", "success", "failure", "error"]),
  context: z.string().min(1).max(255),
  description: z.string().max(1024),
  targetUrl: HttpUrl.optional(),
});

/** The states of a GitHub deployment status, in GitHub's words. */
export const DeploymentState = z.enum(["queued", "in_progress", "success", "failure", "error", "inactive"]);
export type DeploymentState = z.infer<typeof DeploymentState>;

/**
 * A status of the GitHub deployment of a model's commit to its endpoint (the environment). notifyGithub finds the
 * deployment of this rollout (its correlation id) or creates it on first use (docs/decisions.md).
 */
const DeploymentStatusNotification = z.strictObject({
  ...commitEnvelope,
  model: ModelName,
  kind: z.literal("deployment-status"),
  /** The environment: the endpoint's name. */
  environment: z.string().min(1).max(255),
  state: DeploymentState,
  /** The rollout step the status is about (in_progress), so each step's status is told once. */
  rolloutStep: z.number().int().min(0).max(99).optional(),
  description: z.string().max(1024),
  logUrl: HttpUrl.optional(),
});

/**
 * What notifyGithub tells GitHub, by `kind`: a commit status, or a status of the GitHub deployment of a rollout.
 */
export const GithubNotification = z.discriminatedUnion("kind", [
  CommitStatusNotification,
  DeploymentStatusNotification,
]);

/** One schema per topic: the sender types its message with it, the receiver validates with it. */
export const contracts = {
  [Topic.trainingRequested]: TrainingRequested,
  [Topic.artifactReady]: ArtifactReady,
  [Topic.deploymentRequested]: DeploymentRequested,
  [Topic.deploymentReady]: DeploymentReady,
  [Topic.verificationCompleted]: VerificationCompleted,
  [Topic.releasesRequested]: ReleasesRequested,
  [Topic.reconcileRequested]: ReconcileRequested,
  [Topic.githubNotifications]: GithubNotification,
} as const satisfies Record<TopicName, z.ZodType>;

export type MessageOf<T extends TopicName> = z.infer<(typeof contracts)[T]>;
export type TrainingRequested = MessageOf<typeof Topic.trainingRequested>;
export type ArtifactReady = MessageOf<typeof Topic.artifactReady>;
export type DeploymentRequested = MessageOf<typeof Topic.deploymentRequested>;
export type DeploymentReady = MessageOf<typeof Topic.deploymentReady>;
export type VerificationCompleted = MessageOf<typeof Topic.verificationCompleted>;
export type ReleasesRequested = MessageOf<typeof Topic.releasesRequested>;
export type ReconcileRequested = MessageOf<typeof Topic.reconcileRequested>;
export type GithubNotification = MessageOf<typeof Topic.githubNotifications>;

/** The fields every message starts with, in the order the contracts declare them. */
export interface MessageEnvelope {
  schemaVersion: 1;
  correlationId: string;
  model: string;
  commit: string;
  repository: string;
  causedBy: Cause[];
  createdAt: string;
}

/**
 * The envelope of a new message: this contract version, the correlation id and cause of what started it, the model,
 * commit and repository it is about. Every sender builds its envelope here, ingress and chain steps alike.
 */
export function messageEnvelope(
  origin: { correlationId: string; cause: Cause; createdAt: Date },
  subject: { model: string; commit: string; repository: string },
): MessageEnvelope {
  return {
    schemaVersion: 1,
    correlationId: origin.correlationId,
    model: subject.model,
    commit: subject.commit,
    repository: subject.repository,
    causedBy: [origin.cause],
    createdAt: origin.createdAt.toISOString(),
  };
}

/** The envelope of a message that follows `message` in the chain: same correlation, model, commit and repository. */
export function followUp(
  message: Pick<TrainingRequested, "correlationId" | "model" | "commit" | "repository">,
  cause: Cause,
  createdAt: Date,
): MessageEnvelope {
  return messageEnvelope({ correlationId: message.correlationId, cause, createdAt }, message);
}

/** Message attributes that let a subscriber or an operator route and filter without decoding the body. */
export const Attribute = {
  contract: "modelgate-contract",
  version: "modelgate-version",
  model: "modelgate-model",
  correlationId: "modelgate-correlation-id",
} as const;

/** Validates a message against its topic's contract; a ValidationError names each field at fault. */
export function parseMessage<T extends TopicName>(topic: T, value: unknown): MessageOf<T> {
  const result = contracts[topic].safeParse(value);
  if (!result.success) {
    const issues = formatIssues(result.error);
    const text = issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ");
    throw new ValidationError(`message for ${topic} does not match its contract: ${text}`, issues);
  }
  return result.data as MessageOf<T>;
}

/** Serialises a validated message with its routing attributes, ready to publish. */
export function encodeMessage<T extends TopicName>(
  topic: T,
  message: MessageOf<T>,
): { data: Buffer; attributes: Record<string, string> } {
  const valid = parseMessage(topic, message);
  return {
    data: Buffer.from(JSON.stringify(valid)),
    attributes: {
      [Attribute.contract]: topic,
      [Attribute.version]: String(valid.schemaVersion),
      // A message about a repository commit (releases-requested) concerns no single model.
      ...("model" in valid && valid.model ? { [Attribute.model]: valid.model } : {}),
      ...(valid.correlationId === undefined ? {} : { [Attribute.correlationId]: valid.correlationId }),
    },
  };
}

/** Decodes and validates message bytes; bad JSON or a contract mismatch is a permanent ValidationError. */
export function decodeMessage<T extends TopicName>(topic: T, data: Buffer | string): MessageOf<T> {
  const text = typeof data === "string" ? data : data.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`message for ${topic} is not JSON: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  return parseMessage(topic, value);
}
