import type { CloudEvent } from "@google-cloud/functions-framework";
import { findModelConfig } from "../../shared/config.js";
import type { ArtifactReady, Cause } from "../../shared/contracts.js";
import { describeError, isRetryable } from "../../shared/errors.js";
import { readVerifiedManifest } from "../../shared/ingress/artifact.js";
import type { IngressDeps } from "../../shared/ingress/deps.js";
import { type IngressBody, IngressStatus } from "../../shared/ingress/http.js";
import { runOnce } from "../../shared/ingress/once.js";
import { recordIngress } from "../../shared/ingress/record.js";
import { Outcome } from "../../shared/ledger.js";
import { traceContext } from "../../shared/logger.js";
import { parseManifestPath } from "../../shared/manifest.js";
import type { BlobStore } from "../../shared/ports.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import {
  bucketOfSource,
  finalizedEventType,
  parseStorageObjectData,
  type StorageObjectData,
} from "./storage-object.js";

export interface ArtifactUploadedDeps extends IngressDeps {
  /** The artifact bucket: the manifest is read from here, never taken from the event. */
  blobs: BlobStore;
}

/** What the function did with an event; returned as the response body (Eventarc only looks at the status). */
export type ArtifactUploadedOutcome = IngressBody;

const step = FunctionName.artifactUploaded;

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
    const refuse = (reason: string, fields: Record<string, unknown> = {}): ArtifactUploadedOutcome => {
      logger.warn(`refused a storage event: ${reason}`, { reason, ...fields });
      return { status: IngressStatus.refused, reason };
    };

    if (event.type !== finalizedEventType) {
      logger.debug(`ignored CloudEvent type ${event.type}`);
      return {
        status: IngressStatus.ignored,
        reason: `event type ${event.type} is not ${finalizedEventType}`,
      };
    }
    // The id and source become the message's correlation id and cause: without them no artifact-ready could pass
    // its contract, and the publish would throw on every redelivery.
    if (
      typeof event.id !== "string" ||
      event.id === "" ||
      typeof event.source !== "string" ||
      event.source === ""
    ) {
      return refuse("the CloudEvent has no id or no source");
    }
    let object: StorageObjectData;
    try {
      object = parseStorageObjectData(event.data);
    } catch (error) {
      return refuse((error as Error).message);
    }
    const extension = (event as { bucket?: unknown }).bucket;
    const claimed = [
      object.bucket,
      typeof extension === "string" ? extension : undefined,
      bucketOfSource(event.source),
    ];
    const foreign = claimed.find((bucket) => bucket !== undefined && bucket !== deps.config.bucket);
    if (foreign !== undefined) {
      return refuse(`bucket ${foreign} is not the artifact bucket ${deps.config.bucket}`, {
        bucket: foreign,
      });
    }
    const path = parseManifestPath(object.name);
    if (!path) {
      logger.debug(`ignored gs://${object.bucket}/${object.name}: not a model manifest`);
      return {
        status: IngressStatus.ignored,
        reason: `${object.name} is not models/<model>/<commit>/modelgate.json`,
      };
    }
    const { model, commit } = path;
    logger = logger.child({ model, commit, object: object.name, generation: object.generation });
    const key = `${object.bucket}/${object.name}#${object.generation}`;
    const cause: Cause = { source: event.source, id: event.id };
    const record = (entry: {
      action: string;
      outcome: Outcome;
      details: Record<string, unknown>;
      error?: Record<string, unknown>;
    }) =>
      recordIngress(deps, step, {
        model,
        commit,
        correlationId: event.id,
        causedBy: [cause],
        ...entry,
        details: {
          object: `gs://${object.bucket}/${object.name}`,
          generation: object.generation,
          eventId: event.id,
          ...entry.details,
        },
      });

    const modelConfig = findModelConfig(deps.config, model);
    if (!modelConfig) {
      await record({
        action: "artifact-refused",
        outcome: Outcome.refused,
        details: { reason: "model not configured" },
      });
      return refuse(`model ${model} is not configured`);
    }

    const outcome = await runOnce(deps.claims, step, key, async (): Promise<ArtifactUploadedOutcome> => {
      let verified: Awaited<ReturnType<typeof readVerifiedManifest>>;
      try {
        verified = await readVerifiedManifest(deps.blobs, {
          model,
          commit,
          repository: modelConfig.repository,
        });
      } catch (error) {
        if (isRetryable(error)) throw error;
        await record({
          action: "artifact-refused",
          outcome: Outcome.refused,
          details: {},
          error: describeError(error),
        });
        return refuse((error as Error).message);
      }
      if (verified.generation !== object.generation) {
        // Overwritten since this event: the newer generation's own event carries it.
        const reason = `gs://${object.bucket}/${object.name} is at generation ${verified.generation} now, not ${object.generation}`;
        logger.info(`ignored a superseded manifest: ${reason}`);
        return { status: IngressStatus.ignored, reason };
      }
      const message: ArtifactReady = {
        schemaVersion: 1,
        correlationId: event.id,
        model,
        commit,
        repository: modelConfig.repository,
        causedBy: [cause],
        createdAt: now().toISOString(),
        artifactUri: `gs://${deps.config.bucket}/models/${model}/${commit}/`,
        manifestGeneration: verified.generation,
      };
      const messageId = await deps.publisher.publish(Topic.artifactReady, message);
      await record({
        action: Topic.artifactReady,
        outcome: Outcome.accepted,
        details: { topic: Topic.artifactReady, messageId },
      });
      logger.info(`published artifact-ready for ${model}@${commit}`, { messageId });
      return {
        status: IngressStatus.accepted,
        published: [{ topic: Topic.artifactReady, model, commit, messageId }],
      };
    });
    if (outcome.state === "duplicate") {
      logger.info(`${key} was already handled; acknowledging the repeat`);
      return { status: IngressStatus.duplicate, reason: `${key} was already handled` };
    }
    return outcome.value;
  };
}
