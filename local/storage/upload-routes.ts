import { badRequest, StorageApiError } from "./errors.js";
import { crc32cBase64, md5Base64 } from "./hashes.js";
import { parseJsonBody, sendEmpty, sendJson } from "./http-io.js";
import { multipartBoundary, parseMultipart } from "./multipart.js";
import { type InsertMetadata, parseInsertMetadata, validateObjectName } from "./object-metadata.js";
import { objectResource } from "./object-resource.js";
import { authorizeWrite } from "./object-routes.js";
import { checkPreconditions, parsePreconditions } from "./preconditions.js";
import { parseContentRange, type ResumableSession } from "./resumable-sessions.js";
import type { RouteContext } from "./route-context.js";

/** Rejects bytes that disagree with hashes the writer sent, as Cloud Storage does. */
function verifyClaimedHashes(insert: InsertMetadata, data: Buffer): void {
  if (insert.crc32c !== undefined) {
    const actual = crc32cBase64(data);
    if (actual !== insert.crc32c) {
      throw badRequest(`Provided CRC32C "${insert.crc32c}" doesn't match calculated CRC32C "${actual}".`);
    }
  }
  if (insert.md5Hash !== undefined) {
    const actual = md5Base64(data);
    if (actual !== insert.md5Hash) {
      throw badRequest(
        `Provided MD5 hash "${insert.md5Hash}" doesn't match calculated MD5 hash "${actual}".`,
      );
    }
  }
}

function header(ctx: RouteContext, name: string): string | undefined {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** POST /upload/storage/v1/b/:bucket/o — objects.insert by media, multipart, or starting a resumable session. */
export async function insertObject(ctx: RouteContext, bucket: string): Promise<void> {
  const uploadType = ctx.params.get("uploadType");
  const preconditions = parsePreconditions(ctx.params);
  switch (uploadType) {
    case "media": {
      const name = validateObjectName(ctx.params.get("name"));
      await authorizeWrite(ctx, bucket, name);
      const data = await ctx.body();
      const contentType = header(ctx, "content-type");
      const object = ctx.store.write(bucket, name, data, contentType ? { contentType } : {}, preconditions);
      return sendJson(ctx.res, 200, ctx.written(object, "media"));
    }
    case "multipart": {
      const boundary = multipartBoundary(header(ctx, "content-type"));
      const parts = parseMultipart(await ctx.body(), boundary);
      const [metadataPart, mediaPart] = parts;
      if (parts.length !== 2 || metadataPart === undefined || mediaPart === undefined) {
        throw badRequest(`A multipart upload has exactly two parts (metadata, media); got ${parts.length}.`);
      }
      const insert = parseInsertMetadata(parseJsonBody(metadataPart.body));
      const name = validateObjectName(ctx.params.get("name") ?? insert.name);
      await authorizeWrite(ctx, bucket, name);
      verifyClaimedHashes(insert, mediaPart.body);
      const mediaType = mediaPart.headers["content-type"];
      const attributes = { ...insert.attributes };
      if (attributes.contentType === undefined && mediaType !== undefined) attributes.contentType = mediaType;
      const object = ctx.store.write(bucket, name, Buffer.from(mediaPart.body), attributes, preconditions);
      return sendJson(ctx.res, 200, ctx.written(object, "multipart"));
    }
    case "resumable": {
      const insert = parseInsertMetadata(parseJsonBody(await ctx.body()));
      const name = validateObjectName(ctx.params.get("name") ?? insert.name);
      await authorizeWrite(ctx, bucket, name);
      ctx.store.requireBucket(bucket);
      // Fail fast, as Cloud Storage does, then check again when the upload completes.
      checkPreconditions(ctx.store.object({ bucket, name }), preconditions);
      const uploadContentType = header(ctx, "x-upload-content-type");
      if (uploadContentType !== undefined) insert.attributes.contentType = uploadContentType;
      const session = ctx.sessions.open({ bucket, name, insert, preconditions });
      const location = `${ctx.baseUrl}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
      return sendEmpty(ctx.res, 200, { Location: location, "X-GUploader-UploadID": session.id });
    }
    default:
      throw badRequest(
        uploadType === null
          ? "Required parameter: uploadType (media, multipart or resumable)."
          : `Upload type '${uploadType}' is not supported (media, multipart or resumable).`,
        uploadType === null ? "required" : "invalid",
      );
  }
}

function requireSession(ctx: RouteContext, bucket: string): ResumableSession {
  const id = ctx.params.get("upload_id");
  if (id === null) throw badRequest("Required parameter: upload_id.", "required");
  const session = ctx.sessions.get(id);
  if (session === undefined || session.bucket !== bucket) {
    throw new StorageApiError(404, `No such upload session: ${id}`, "notFound");
  }
  return session;
}

/** Commits a complete session as the object, once; a repeated final PUT gets the same object back. */
function finalize(ctx: RouteContext, session: ResumableSession): void {
  const data = ctx.sessions.data(session);
  try {
    verifyClaimedHashes(session.insert, data);
    const object = ctx.store.write(
      session.bucket,
      session.name,
      data,
      session.insert.attributes,
      session.preconditions,
    );
    session.result = object;
    session.chunks = [];
    sendJson(ctx.res, 200, ctx.written(object, "resumable"));
  } catch (error) {
    // A failed commit (412, bad hash) ends the session, as in Cloud Storage.
    ctx.sessions.cancel(session.id);
    throw error;
  }
}

/** PUT /upload/storage/v1/b/:bucket/o?upload_id= — one chunk (308 until complete) or a status query. */
export async function putResumable(ctx: RouteContext, bucket: string): Promise<void> {
  const session = requireSession(ctx, bucket);
  const range = parseContentRange(header(ctx, "content-range"));
  const body = await ctx.body();
  if (session.result !== undefined)
    return sendJson(ctx.res, 200, objectResource(session.result, ctx.baseUrl));
  if (range.kind === "status") {
    if (body.length > 0) throw badRequest("A Content-Range of 'bytes */...' must come with an empty body.");
    if (range.total !== undefined && range.total === session.received) return finalize(ctx, session);
    if (range.total !== undefined && range.total < session.received) {
      throw badRequest(
        `Content-Range total ${range.total} is less than the ${session.received} bytes received.`,
      );
    }
  } else {
    ctx.sessions.append(session, range, body);
    if (range.total !== undefined && session.received > range.total) {
      throw badRequest(`Received ${session.received} bytes, more than the declared total of ${range.total}.`);
    }
    // An open-ended range ("0-*") means this body ran to the end of the object.
    const complete = range.total !== undefined ? session.received === range.total : range.end === undefined;
    if (complete) return finalize(ctx, session);
  }
  const rangeHeader: Record<string, string> =
    session.received > 0 ? { Range: `bytes=0-${session.received - 1}` } : {};
  sendEmpty(ctx.res, 308, rangeHeader);
}

/** DELETE /upload/storage/v1/b/:bucket/o?upload_id= — cancels a session (Cloud Storage answers 499). */
export async function cancelResumable(ctx: RouteContext, bucket: string): Promise<void> {
  const session = requireSession(ctx, bucket);
  ctx.sessions.cancel(session.id);
  sendEmpty(ctx.res, 499);
}
