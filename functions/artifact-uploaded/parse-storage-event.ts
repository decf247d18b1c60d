import type { CloudEvent } from "@google-cloud/functions-framework";
import { ignore, refuse } from "../../shared/ingress/early-answer.js";
import { parseManifestPath } from "../../shared/manifest.js";
import {
  bucketOfSource,
  finalizedEventType,
  parseStorageObjectData,
  type StorageObjectData,
} from "./storage-object.js";

/** A finalized models/<model>/<commit>/modelgate.json in the artifact bucket. */
export interface ManifestWritten {
  id: string;
  source: string;
  object: StorageObjectData;
  model: string;
  commit: string;
}

/**
 * Reads a storage CloudEvent as a manifest written to `bucket`. Other event types and other objects are ignored
 * (at debug level: every object the trainer writes sends one); an event without id or source, malformed data or
 * another bucket is refused.
 */
export function parseStorageEvent(event: CloudEvent<unknown>, bucket: string): ManifestWritten {
  if (event.type !== finalizedEventType) {
    throw ignore(
      `event type ${event.type} is not ${finalizedEventType}`,
      `ignored CloudEvent type ${event.type}`,
      "debug",
    );
  }
  // The id and source become the message's correlation id and cause: without them no artifact-ready could pass
  // its contract, and the publish would throw on every redelivery.
  const { id, source } = event as { id?: unknown; source?: unknown };
  if (typeof id !== "string" || id === "" || typeof source !== "string" || source === "") {
    throw refuse(400, "the CloudEvent has no id or no source");
  }
  let object: StorageObjectData;
  try {
    object = parseStorageObjectData(event.data);
  } catch (error) {
    throw refuse(400, (error as Error).message);
  }
  const extension = (event as { bucket?: unknown }).bucket;
  const claimed = [
    object.bucket,
    typeof extension === "string" ? extension : undefined,
    bucketOfSource(source),
  ];
  const foreign = claimed.find((name) => name !== undefined && name !== bucket);
  if (foreign !== undefined) {
    throw refuse(403, `bucket ${foreign} is not the artifact bucket ${bucket}`, { bucket: foreign });
  }
  const path = parseManifestPath(object.name);
  if (!path) {
    throw ignore(
      `${object.name} is not models/<model>/<commit>/modelgate.json`,
      `ignored gs://${object.bucket}/${object.name}: not a model manifest`,
      "debug",
    );
  }
  return { id, source, object, ...path };
}
