import * as z from "zod";
import { badRequest } from "./errors.js";
import { parseRequest } from "./request-schema.js";
import type { ObjectAttributes } from "./stored-types.js";

const textFields = [
  "contentType",
  "contentEncoding",
  "contentDisposition",
  "contentLanguage",
  "cacheControl",
  "customTime",
] as const;

// Custom metadata values are strings in the API; like Cloud Storage we accept scalars and keep
// their string form, and a null value in a patch removes the key.
const metadataValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const nullableText = z.string().nullable().optional();

const insertSchema = z.object({
  name: z.string().optional(),
  contentType: z.string().optional(),
  contentEncoding: z.string().optional(),
  contentDisposition: z.string().optional(),
  contentLanguage: z.string().optional(),
  cacheControl: z.string().optional(),
  customTime: z.string().optional(),
  metadata: z.record(z.string(), metadataValue).nullable().optional(),
  crc32c: z.string().optional(),
  md5Hash: z.string().optional(),
});

const patchSchema = z.object({
  contentType: nullableText,
  contentEncoding: nullableText,
  contentDisposition: nullableText,
  contentLanguage: nullableText,
  cacheControl: nullableText,
  customTime: nullableText,
  metadata: z.record(z.string(), metadataValue).nullable().optional(),
});

/** Metadata sent with an upload (multipart part, resumable POST body, compose destination). */
export interface InsertMetadata {
  name?: string;
  attributes: ObjectAttributes;
  /** Hashes the writer claims; the server rejects the upload when the bytes disagree. */
  crc32c?: string;
  md5Hash?: string;
}

/** A metadata patch: `null` clears a field, a `null` metadata value removes that key. */
export type MetadataPatch = z.infer<typeof patchSchema>;

/** Parses a JSON body (already decoded) into an object-insert request, or throws a 400 naming the field. */
export function parseInsertMetadata(json: unknown): InsertMetadata {
  const body = parseRequest(insertSchema, json ?? {}, "object metadata");
  const attributes: ObjectAttributes = {};
  for (const field of textFields) {
    const value = body[field];
    if (value !== undefined) attributes[field] = value;
  }
  if (body.metadata) {
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(body.metadata)) if (v !== null) metadata[k] = String(v);
    attributes.metadata = metadata;
  }
  const out: InsertMetadata = { attributes };
  if (body.name !== undefined) out.name = body.name;
  if (body.crc32c !== undefined) out.crc32c = body.crc32c;
  if (body.md5Hash !== undefined) out.md5Hash = body.md5Hash;
  return out;
}

/** Parses a PATCH body, or throws a 400 naming the field. */
export function parseMetadataPatch(json: unknown): MetadataPatch {
  return parseRequest(patchSchema, json, "object metadata");
}

/** Applies a patch to current attributes, returning the new attributes. */
export function applyMetadataPatch<T extends ObjectAttributes>(current: T, patch: MetadataPatch): T {
  const next: T = { ...current };
  for (const field of textFields) {
    const value = patch[field];
    if (value === undefined) continue;
    if (value === null) delete next[field];
    else next[field] = value;
  }
  if (patch.metadata === null) delete next.metadata;
  else if (patch.metadata !== undefined) {
    const metadata = { ...(current.metadata ?? {}) };
    for (const [k, v] of Object.entries(patch.metadata)) {
      if (v === null) delete metadata[k];
      else metadata[k] = String(v);
    }
    next.metadata = metadata;
  }
  return next;
}

/** The writer-settable attributes of an object (what a copy carries over). */
export function attributesOf(object: ObjectAttributes): ObjectAttributes {
  const attributes: ObjectAttributes = {};
  for (const field of textFields) {
    const value = object[field];
    if (value !== undefined) attributes[field] = value;
  }
  if (object.metadata !== undefined) attributes.metadata = { ...object.metadata };
  return attributes;
}

/** Validates an object name as Cloud Storage does (non-empty, ≤1024 UTF-8 bytes, no CR/LF). */
export function validateObjectName(name: string | undefined | null): string {
  if (name === undefined || name === null || name === "")
    throw badRequest("Required: object name.", "required");
  if (Buffer.byteLength(name, "utf8") > 1024) throw badRequest("The object name is longer than 1024 bytes.");
  if (/[\r\n]/.test(name))
    throw badRequest("Object names cannot contain carriage return or line feed characters.");
  if (name === "." || name === "..") throw badRequest(`Object name '${name}' is not allowed.`);
  return name;
}

/** Validates a bucket name (lowercase letters, digits, '-', '_', '.'; 3–222 characters). */
export function validateBucketName(name: unknown): string {
  if (typeof name !== "string" || name === "") throw badRequest("Required: bucket name.", "required");
  if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(name)) throw badRequest(`Invalid bucket name: '${name}'.`);
  return name;
}
