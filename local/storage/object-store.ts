import { directoryBackend } from "./directory-backend.js";
import { bucketExists, bucketNotEmpty, noSuchBucket, noSuchObject } from "./errors.js";
import { GenerationClock, isoFromMicros } from "./generation-clock.js";
import { crc32cBase64, md5Base64 } from "./hashes.js";
import type { StorageLog } from "./log.js";
import { memoryBackend } from "./memory-backend.js";
import { applyMetadataPatch, type MetadataPatch } from "./object-metadata.js";
import { checkPreconditions, type Preconditions } from "./preconditions.js";
import type { StorageBackend } from "./storage-backend.js";
import type { ObjectAttributes, StoredBucket, StoredObject } from "./stored-types.js";

/** Selects an object, optionally at one generation (only the live generation is kept). */
export interface ObjectSelector {
  bucket: string;
  name: string;
  generation?: bigint | undefined;
}

/**
 * The buckets and objects of the local server: one live generation per object (like a bucket
 * without versioning), preconditions checked and the write committed without yielding.
 */
export class ObjectStore {
  readonly #backend: StorageBackend;
  readonly #buckets = new Map<string, StoredBucket>();
  readonly #objects = new Map<string, Map<string, StoredObject>>();
  /** Each bucket's objects sorted by name, kept until the bucket's next write (listing pages reuse it). */
  readonly #sorted = new Map<string, readonly StoredObject[]>();
  readonly #clock = new GenerationClock();

  private constructor(backend: StorageBackend) {
    this.#backend = backend;
    const { buckets, objects } = backend.load();
    for (const b of buckets) {
      this.#buckets.set(b.name, b);
      this.#objects.set(b.name, new Map());
    }
    for (const o of objects) {
      this.#objects.get(o.bucket)?.set(o.name, o);
      this.#clock.observe(BigInt(o.generation));
    }
  }

  /** A store on disk under `dir`, or in memory when `dir` is undefined. */
  static open(dir: string | undefined, log: StorageLog): ObjectStore {
    return new ObjectStore(dir === undefined ? memoryBackend() : directoryBackend(dir, log));
  }

  bucket(name: string): StoredBucket | undefined {
    return this.#buckets.get(name);
  }

  /** The bucket, or a 404. */
  requireBucket(name: string): StoredBucket {
    const bucket = this.#buckets.get(name);
    if (bucket === undefined) throw noSuchBucket();
    return bucket;
  }

  buckets(): StoredBucket[] {
    return [...this.#buckets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  createBucket(
    name: string,
    extra: { location?: string; storageClass?: string; labels?: Record<string, string> } = {},
  ) {
    if (this.#buckets.has(name)) throw bucketExists();
    const now = new Date().toISOString();
    const bucket: StoredBucket = {
      name,
      timeCreated: now,
      updated: now,
      metageneration: "1",
      location: extra.location?.toUpperCase() ?? "US-CENTRAL1",
      storageClass: extra.storageClass ?? "STANDARD",
    };
    if (extra.labels !== undefined) bucket.labels = extra.labels;
    this.#backend.saveBucket(bucket);
    this.#buckets.set(name, bucket);
    this.#objects.set(name, new Map());
    return bucket;
  }

  deleteBucket(name: string): void {
    this.requireBucket(name);
    if ((this.#objects.get(name)?.size ?? 0) > 0) throw bucketNotEmpty();
    this.#backend.removeBucket(name);
    this.#buckets.delete(name);
    this.#objects.delete(name);
    this.#sorted.delete(name);
  }

  /** The live object, or undefined (also when a different generation is asked for). */
  object(sel: ObjectSelector): StoredObject | undefined {
    const o = this.#objects.get(sel.bucket)?.get(sel.name);
    if (o === undefined) return undefined;
    if (sel.generation !== undefined && BigInt(o.generation) !== sel.generation) return undefined;
    return o;
  }

  /** The object, or a 404 naming it (bucket 404 first, as Cloud Storage does). */
  requireObject(sel: ObjectSelector): StoredObject {
    this.requireBucket(sel.bucket);
    const o = this.object(sel);
    if (o === undefined) throw noSuchObject(sel.bucket, sel.name);
    return o;
  }

  /** All live objects in a bucket, ordered by name (sorted once per change of the bucket, not per call). */
  objects(bucket: string): readonly StoredObject[] {
    this.requireBucket(bucket);
    let sorted = this.#sorted.get(bucket);
    if (sorted === undefined) {
      sorted = [...(this.#objects.get(bucket)?.values() ?? [])].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
      this.#sorted.set(bucket, sorted);
    }
    return sorted;
  }

  read(object: StoredObject): Buffer {
    return this.#backend.readObject(object);
  }

  /** Creates a new generation of `bucket/name` holding `data`, if the preconditions hold. */
  write(
    bucket: string,
    name: string,
    data: Buffer,
    attributes: ObjectAttributes,
    preconditions: Preconditions,
    extra: { componentCount?: number } = {},
  ): StoredObject {
    this.requireBucket(bucket);
    const previous = this.object({ bucket, name });
    checkPreconditions(previous, preconditions);
    const generation = this.#clock.next();
    const time = isoFromMicros(generation);
    const object: StoredObject = {
      ...attributes,
      bucket,
      name,
      generation: String(generation),
      metageneration: "1",
      contentType: attributes.contentType ?? "application/octet-stream",
      size: data.length,
      md5Hash: md5Base64(data),
      crc32c: crc32cBase64(data),
      timeCreated: time,
      updated: time,
    };
    if (extra.componentCount !== undefined) object.componentCount = extra.componentCount;
    this.#backend.saveObject(object, data, previous);
    this.#objects.get(bucket)?.set(name, object);
    this.#sorted.delete(bucket);
    return object;
  }

  /** Patches metadata, bumping the metageneration, if the preconditions hold. */
  patch(sel: ObjectSelector, patch: MetadataPatch, preconditions: Preconditions): StoredObject {
    const current = this.requireObject(sel);
    checkPreconditions(current, preconditions);
    const next = applyMetadataPatch(current, patch);
    next.contentType ??= "application/octet-stream";
    next.metageneration = String(BigInt(current.metageneration) + 1n);
    next.updated = new Date().toISOString();
    this.#backend.saveObject(next, undefined, current);
    this.#objects.get(sel.bucket)?.set(sel.name, next);
    this.#sorted.delete(sel.bucket);
    return next;
  }

  /** Deletes the live object, if the preconditions hold. */
  delete(sel: ObjectSelector, preconditions: Preconditions): StoredObject {
    const current = this.requireObject(sel);
    checkPreconditions(current, preconditions);
    this.#backend.removeObject(current);
    this.#objects.get(sel.bucket)?.delete(sel.name);
    this.#sorted.delete(sel.bucket);
    return current;
  }
}
