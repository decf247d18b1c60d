import type { StoredBucket, StoredObject } from "./stored-types.js";

/** Protobuf varint of a non-negative integer. */
function varint(value: bigint): number[] {
  const bytes: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return bytes;
}

/**
 * The etag Cloud Storage gives objects: base64 of a small protobuf holding generation (field 1)
 * and metageneration (field 2), so it changes on every write and every metadata patch.
 */
export function objectEtag(generation: string, metageneration: string): string {
  return Buffer.from([0x08, ...varint(BigInt(generation)), 0x10, ...varint(BigInt(metageneration))]).toString(
    "base64",
  );
}

/** The JSON API object resource (`storage#object`) for a stored object. */
export function objectResource(o: StoredObject, baseUrl: string): Record<string, unknown> {
  const encoded = encodeURIComponent(o.name);
  const resource: Record<string, unknown> = {
    kind: "storage#object",
    id: `${o.bucket}/${o.name}/${o.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${o.bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${o.bucket}/o/${encoded}?generation=${o.generation}&alt=media`,
    name: o.name,
    bucket: o.bucket,
    generation: o.generation,
    metageneration: o.metageneration,
    contentType: o.contentType,
    storageClass: "STANDARD",
    size: String(o.size),
    md5Hash: o.md5Hash,
    crc32c: o.crc32c,
    etag: objectEtag(o.generation, o.metageneration),
    timeCreated: o.timeCreated,
    updated: o.updated,
    timeStorageClassUpdated: o.timeCreated,
  };
  for (const key of [
    "contentEncoding",
    "contentDisposition",
    "contentLanguage",
    "cacheControl",
    "customTime",
    "componentCount",
  ] as const) {
    if (o[key] !== undefined) resource[key] = o[key];
  }
  if (o.metadata !== undefined && Object.keys(o.metadata).length > 0) resource.metadata = { ...o.metadata };
  return resource;
}

/** The JSON API bucket resource (`storage#bucket`). */
export function bucketResource(b: StoredBucket, baseUrl: string): Record<string, unknown> {
  const resource: Record<string, unknown> = {
    kind: "storage#bucket",
    id: b.name,
    selfLink: `${baseUrl}/storage/v1/b/${b.name}`,
    projectNumber: "0",
    name: b.name,
    timeCreated: b.timeCreated,
    updated: b.updated,
    metageneration: b.metageneration,
    location: b.location,
    locationType: "region",
    storageClass: b.storageClass,
    etag: Buffer.from([0x10, ...varint(BigInt(b.metageneration))]).toString("base64"),
  };
  if (b.labels !== undefined) resource.labels = { ...b.labels };
  return resource;
}
