import type { StoredBucket, StoredObject } from "./stored-types.js";

/**
 * Where bytes and metadata live. Methods are synchronous on purpose: the store checks
 * preconditions and commits in one turn of the event loop, so two racing create-only writes
 * (`ifGenerationMatch=0`) can never both succeed.
 */
export interface StorageBackend {
  load(): { buckets: StoredBucket[]; objects: StoredObject[] };
  saveBucket(bucket: StoredBucket): void;
  removeBucket(name: string): void;
  /** Saves metadata, and the bytes when `data` is given (a metadata patch passes none). */
  saveObject(object: StoredObject, data: Buffer | undefined, previous: StoredObject | undefined): void;
  removeObject(object: StoredObject): void;
  readObject(object: StoredObject): Buffer;
}
