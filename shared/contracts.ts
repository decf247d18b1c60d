import * as z from "zod";
import { ValidationError } from "./errors.js";
import { CommitSha, ModelName, RepositoryName } from "./names.js";
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

export const DeploymentRequested = z.strictObject({
  ...envelope,
  reason: z.enum(["promotion-tag", "auto-deploy", "manual"]),
  tag: z.string().max(512).optional(),
  requestedBy: z.string().max(256).optional(),
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
};

export const DeploymentReady = z.strictObject({
  ...envelope,
  ...deploymentFields,
});

/** What verification concluded about a candidate: rolloutModel promotes on pass and rolls back on fail. */
export const Verdict = { pass: "pass", fail: "fail" } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export const VerificationCompleted = z.strictObject({
  ...envelope,
  ...deploymentFields,
  verdict: z.enum(Verdict),
  reasons: z.array(z.string()).max(50),
  metrics: z.record(z.string(), z.number()),
  reportUri: GcsUri,
});

/** One schema per topic: the sender types its message with it, the receiver validates with it. */
export const contracts = {
  [Topic.trainingRequested]: TrainingRequested,
  [Topic.artifactReady]: ArtifactReady,
  [Topic.deploymentRequested]: DeploymentRequested,
  [Topic.deploymentReady]: DeploymentReady,
  [Topic.verificationCompleted]: VerificationCompleted,
} as const satisfies Record<TopicName, z.ZodType>;

export type MessageOf<T extends TopicName> = z.infer<(typeof contracts)[T]>;
export type TrainingRequested = MessageOf<typeof Topic.trainingRequested>;
export type ArtifactReady = MessageOf<typeof Topic.artifactReady>;
export type DeploymentRequested = MessageOf<typeof Topic.deploymentRequested>;
export type DeploymentReady = MessageOf<typeof Topic.deploymentReady>;
export type VerificationCompleted = MessageOf<typeof Topic.verificationCompleted>;

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
      [Attribute.model]: valid.model,
      [Attribute.correlationId]: valid.correlationId,
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
