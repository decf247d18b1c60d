import type { Storage } from "@google-cloud/storage";
import { NotFoundError } from "../../shared/errors.js";

/**
 * The trainer's only dependency on Cloud Storage: read and write whole objects by gs:// URI.
 * Small on purpose, so the training logic is tested against an in-memory fake and the real
 * adapter stays a few lines over @google-cloud/storage.
 */
export interface ObjectIO {
  /** The object's bytes; rejects with ObjectNotFoundError when it does not exist. */
  read(uri: string): Promise<Buffer>;
  /** Creates or replaces the object. */
  write(uri: string, data: Buffer | string, contentType: string): Promise<void>;
}

/** The object a read asked for does not exist. */
export class ObjectNotFoundError extends NotFoundError {
  readonly uri: string;
  constructor(uri: string, options: { cause?: unknown } = {}) {
    super(`${uri} does not exist`, options);
    this.uri = uri;
  }
}

/** Splits `gs://bucket/name` into bucket and object name; throws on anything else. */
export function parseGsUri(uri: string): { bucket: string; name: string } {
  const match = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2])
    throw new Error(`expected a gs://bucket/object URI, got ${JSON.stringify(uri)}`);
  return { bucket: match[1], name: match[2] };
}

/** An ObjectIO over the real Cloud Storage client (which honours STORAGE_EMULATOR_HOST). */
export function storageObjectIO(storage: Storage): ObjectIO {
  return {
    async read(uri) {
      const { bucket, name } = parseGsUri(uri);
      try {
        const [contents] = await storage.bucket(bucket).file(name).download();
        return contents;
      } catch (error) {
        if ((error as { code?: unknown }).code === 404) throw new ObjectNotFoundError(uri, { cause: error });
        throw error;
      }
    },
    async write(uri, data, contentType) {
      const { bucket, name } = parseGsUri(uri);
      // A single-request upload: these objects are small, and a multipart upload makes
      // exactly one finalize event without a resumable session to clean up.
      await storage.bucket(bucket).file(name).save(data, { resumable: false, contentType });
    },
  };
}
