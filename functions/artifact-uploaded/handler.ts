import type { CloudEvent } from "@google-cloud/functions-framework";
import { findModelConfig, type ModelConfig } from "../../shared/config.js";
import { type ArtifactReady, messageEnvelope } from "../../shared/contracts.js";
import { describeError, isRetryable } from "../../shared/errors.js";
import { readVerifiedManifest } from "../../shared/ingress/artifact.js";
import type { IngressDeps } from "../../shared/ingress/deps.js";
import { EarlyAnswer } from "../../shared/ingress/early-answer.js";
import { type IngressBody, IngressStatus } from "../../shared/ingress/http.js";
import { runOnce } from "../../shared/ingress/once.js";
import { type EventRecord, eventRecorder } from "../../shared/ingress/record.js";
import { Outcome } from "../../shared/ledger.js";
import { IngressAction } from "../../shared/ledger-actions.js";
import { type Logger, traceContext } from "../../shared/logger.js";
import type { BlobStore } from "../../shared/ports.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { type ManifestWritten, parseStorageEvent } from "./parse-storage-event.js";

export interface ArtifactUploadedDeps extends IngressDeps {
  /** The artifact bucket: the manifest is read from here, never taken from the event. */
  blobs: BlobStore;
}

/** What the function did with an event; returned as the response body (Eventarc only looks at the status). */
export type ArtifactUploadedOutcome = IngressBody;

const step = FunctionName.artifactUploaded;

interface ManifestContext {
  deps: ArtifactUploadedDeps;
  logger: Logger;
  now: () => Date;
  written: ManifestWritten;
  record: (entry: EventRecord) => Promise<void>;
}

/**
 * artifactUploaded's logic, for `google.cloud.storage.object.v1.finalized`: when a model's modelgate.json is
 * finalized (the trainer writes it last), re-read it from the bucket, check it names the model and commit of its
 * path, and publish artifact-ready once per object generation. Every other object is ignored quietly. Transient
 * failures throw so Eventarc redelivers; anything permanent is recorded and acknowledged.
 */
export function createArtifactUploadedHandler(
  deps: ArtifactUploadedDeps,
): (event: CloudEvent<unknown>) => Promise<ArtifactUploadedOutcome> {
  const now = deps.now ?? (() => new Date());
  const baseLogger = deps.logger.child({ functionName: step });

  return async (event) => {
    const traceparent = (event as { traceparent?: unknown }).traceparent;
    let logger = baseLogger.child({
      eventId: event.id,
      ...traceContext(
        { traceparent: typeof traceparent === "string" ? traceparent : undefined },
        deps.config.project,
      ),
    });
    let written: ManifestWritten;
    try {
      written = parseStorageEvent(event, deps.config.bucket);
    } catch (error) {
      if (error instanceof EarlyAnswer) return answerEarly(logger, error);
      throw error;
    }
    const { object, model, commit } = written;
    logger = logger.child({ model, commit, object: object.name, generation: object.generation });
    const record = eventRecorder(deps, step, {
      model,
      commit,
      correlationId: written.id,
      cause: { source: written.source, id: written.id },
      details: {
        object: `gs://${object.bucket}/${object.name}`,
        generation: object.generation,
        eventId: written.id,
      },
    });
    const modelConfig = findModelConfig(deps.config, model);
    if (!modelConfig) {
      const details = { reason: "model not configured" };
      await record({ action: IngressAction.artifactRefused, outcome: Outcome.refused, details });
      return refusedBody(logger, `model ${model} is not configured`);
    }
    const key = `${object.bucket}/${object.name}#${object.generation}`;
    const context: ManifestContext = { deps, logger, now, written, record };
    const outcome = await runOnce(deps.claims, step, key, () => publishArtifactReady(context, modelConfig));
    if (outcome.state === "done") return outcome.value;
    logger.info(`${key} was already handled; acknowledging the repeat`);
    return { status: IngressStatus.duplicate, reason: `${key} was already handled` };
  };
}

/** Re-reads the manifest and publishes artifact-ready, unless it is invalid (refused) or overwritten since (ignored). */
async function publishArtifactReady(
  { deps, logger, now, written, record }: ManifestContext,
  modelConfig: ModelConfig,
): Promise<ArtifactUploadedOutcome> {
  const { object, model, commit } = written;
  const { repository } = modelConfig;
  let verified: Awaited<ReturnType<typeof readVerifiedManifest>>;
  try {
    verified = await readVerifiedManifest(deps.blobs, { model, commit, repository });
  } catch (error) {
    if (isRetryable(error)) throw error;
    const refused = {
      action: IngressAction.artifactRefused,
      outcome: Outcome.refused,
      error: describeError(error),
    };
    await record({ ...refused, details: {} });
    return refusedBody(logger, (error as Error).message);
  }
  if (verified.generation !== object.generation) {
    // Overwritten since this event: the newer generation's own event carries it.
    const reason = `gs://${object.bucket}/${object.name} is at generation ${verified.generation} now, not ${object.generation}`;
    logger.info(`ignored a superseded manifest: ${reason}`);
    return { status: IngressStatus.ignored, reason };
  }
  const origin = {
    correlationId: written.id,
    cause: { source: written.source, id: written.id },
    createdAt: now(),
  };
  const message: ArtifactReady = {
    ...messageEnvelope(origin, { model, commit, repository }),
    artifactUri: `gs://${deps.config.bucket}/models/${model}/${commit}/`,
    manifestGeneration: verified.generation,
  };
  const messageId = await deps.publisher.publish(Topic.artifactReady, message);
  const details = { topic: Topic.artifactReady, messageId };
  await record({ action: Topic.artifactReady, outcome: Outcome.accepted, details });
  logger.info(`published artifact-ready for ${model}@${commit}`, { messageId });
  return {
    status: IngressStatus.accepted,
    published: [{ topic: Topic.artifactReady, model, commit, messageId }],
  };
}

function answerEarly(logger: Logger, answer: EarlyAnswer): ArtifactUploadedOutcome {
  if (answer.kind === "refused") return refusedBody(logger, answer.reason, answer.log.fields);
  logger[answer.log.level](answer.log.message ?? answer.reason);
  return { status: IngressStatus.ignored, reason: answer.reason };
}

function refusedBody(
  logger: Logger,
  reason: string,
  fields: Record<string, unknown> = {},
): ArtifactUploadedOutcome {
  logger.warn(`refused a storage event: ${reason}`, { reason, ...fields });
  return { status: IngressStatus.refused, reason };
}
