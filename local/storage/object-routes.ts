import { gunzipSync } from "node:zlib";
import * as z from "zod";
import { StoragePermission } from "./authorize.js";
import { parseByteRange } from "./byte-range.js";
import { badRequest, noSuchObject } from "./errors.js";
import { parseJsonBody, sendEmpty, sendJson } from "./http-io.js";
import { listObjects as pageOfObjects, parseListQuery } from "./object-listing.js";
import {
  attributesOf,
  parseInsertMetadata,
  parseMetadataPatch,
  validateObjectName,
} from "./object-metadata.js";
import { objectEtag, objectResource } from "./object-resource.js";
import { checkPreconditions, parseInt64Param, parsePreconditions } from "./preconditions.js";
import { parseRequest } from "./request-schema.js";
import type { RouteContext } from "./route-context.js";
import type { StoredObject } from "./stored-types.js";

/** Throws 403 unless the caller may create `bucket/name`, and also delete it when it exists (an overwrite). */
export async function authorizeWrite(ctx: RouteContext, bucket: string, name: string): Promise<void> {
  await ctx.authorize({ permission: StoragePermission.objectsCreate, bucket, object: name });
  if (ctx.store.object({ bucket, name }) !== undefined) {
    await ctx.authorize({ permission: StoragePermission.objectsDelete, bucket, object: name });
  }
}

/** GET /b/:bucket/o — objects.list. */
export async function listObjects(ctx: RouteContext, bucket: string): Promise<void> {
  await ctx.authorize({
    permission: StoragePermission.objectsList,
    bucket,
    listPrefix: ctx.params.get("prefix") ?? "",
  });
  const page = pageOfObjects(ctx.store.objects(bucket), parseListQuery(ctx.params));
  const body: Record<string, unknown> = { kind: "storage#objects" };
  if (page.items.length > 0) body.items = page.items.map((o) => objectResource(o, ctx.baseUrl));
  if (page.prefixes.length > 0) body.prefixes = page.prefixes;
  if (page.nextPageToken !== undefined) body.nextPageToken = page.nextPageToken;
  sendJson(ctx.res, 200, body);
}

/** GET /b/:bucket/o/:object — objects.get, metadata or (`alt=media`) the bytes. */
export async function getObject(ctx: RouteContext, bucket: string, name: string): Promise<void> {
  const alt = ctx.params.get("alt") ?? "json";
  if (alt !== "json" && alt !== "media") {
    throw badRequest(`Invalid argument: alt must be 'json' or 'media', got '${alt}'.`);
  }
  const generation = parseInt64Param(ctx.params, "generation");
  const preconditions = parsePreconditions(ctx.params);
  await ctx.authorize({ permission: StoragePermission.objectsGet, bucket, object: name });
  const object = ctx.store.requireObject({ bucket, name, generation });
  checkPreconditions(object, preconditions);
  if (alt === "media") return sendMedia(ctx, object);
  sendJson(ctx.res, 200, objectResource(object, ctx.baseUrl));
}

/** Streams an object's bytes with the headers the client validates against (x-goog-hash...). */
function sendMedia(ctx: RouteContext, object: StoredObject): void {
  let data = ctx.store.read(object);
  const storedEncoding = object.contentEncoding ?? "identity";
  const headers: Record<string, string> = {
    "Content-Type": object.contentType,
    "x-goog-generation": object.generation,
    "x-goog-metageneration": object.metageneration,
    "x-goog-stored-content-length": String(object.size),
    "x-goog-stored-content-encoding": storedEncoding,
    "x-goog-hash": `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    ETag: `"${objectEtag(object.generation, object.metageneration)}"`,
    "Last-Modified": new Date(object.updated).toUTCString(),
    "Accept-Ranges": "bytes",
  };
  if (object.cacheControl !== undefined) headers["Cache-Control"] = object.cacheControl;
  if (object.contentDisposition !== undefined) headers["Content-Disposition"] = object.contentDisposition;
  if (object.contentLanguage !== undefined) headers["Content-Language"] = object.contentLanguage;
  if (storedEncoding === "gzip") {
    if (/\bgzip\b/.test(String(ctx.req.headers["accept-encoding"] ?? ""))) {
      headers["Content-Encoding"] = "gzip";
    } else {
      // Decompressive transcoding: the stored hashes describe the gzip bytes, so the whole object
      // is served decompressed and Range is ignored, as Cloud Storage does.
      data = gunzipSync(data);
      headers["Content-Length"] = String(data.length);
      ctx.res.writeHead(200, headers);
      ctx.res.end(data);
      return;
    }
  }
  const range = parseByteRange(ctx.req.headers.range, data.length);
  if (range === undefined) {
    headers["Content-Length"] = String(data.length);
    ctx.res.writeHead(200, headers);
    ctx.res.end(data);
    return;
  }
  headers["Content-Range"] = `bytes ${range.start}-${range.end}/${data.length}`;
  headers["Content-Length"] = String(range.end - range.start + 1);
  ctx.res.writeHead(206, headers);
  ctx.res.end(data.subarray(range.start, range.end + 1));
}

/** PATCH /b/:bucket/o/:object — objects.patch (metageneration + 1). */
export async function patchObject(ctx: RouteContext, bucket: string, name: string): Promise<void> {
  const generation = parseInt64Param(ctx.params, "generation");
  const preconditions = parsePreconditions(ctx.params);
  const patch = parseMetadataPatch(parseJsonBody(await ctx.body()) ?? {});
  await ctx.authorize({ permission: StoragePermission.objectsUpdate, bucket, object: name });
  const object = ctx.store.patch({ bucket, name, generation }, patch, preconditions);
  sendJson(ctx.res, 200, objectResource(object, ctx.baseUrl));
}

/** DELETE /b/:bucket/o/:object — objects.delete. */
export async function deleteObject(ctx: RouteContext, bucket: string, name: string): Promise<void> {
  const generation = parseInt64Param(ctx.params, "generation");
  const preconditions = parsePreconditions(ctx.params);
  await ctx.authorize({ permission: StoragePermission.objectsDelete, bucket, object: name });
  ctx.store.delete({ bucket, name, generation }, preconditions);
  sendEmpty(ctx.res, 204);
}

/** POST /b/:src/o/:name/rewriteTo/b/:dst/o/:name (and copyTo) — done in one call, no rewrite token. */
export async function rewriteObject(
  ctx: RouteContext,
  source: { bucket: string; name: string },
  destination: { bucket: string; name: string },
  kind: "rewriteTo" | "copyTo",
): Promise<void> {
  validateObjectName(destination.name);
  const overrides = parseInsertMetadata(parseJsonBody(await ctx.body()));
  await ctx.authorize({
    permission: StoragePermission.objectsGet,
    bucket: source.bucket,
    object: source.name,
  });
  await authorizeWrite(ctx, destination.bucket, destination.name);
  const src = ctx.store.requireObject({
    ...source,
    generation: parseInt64Param(ctx.params, "sourceGeneration"),
  });
  checkPreconditions(src, parsePreconditions(ctx.params, "ifSource"));
  const written = ctx.store.write(
    destination.bucket,
    destination.name,
    ctx.store.read(src),
    { ...attributesOf(src), ...overrides.attributes },
    parsePreconditions(ctx.params),
  );
  const resource = ctx.written(written, kind);
  if (kind === "copyTo") return sendJson(ctx.res, 200, resource);
  sendJson(ctx.res, 200, {
    kind: "storage#rewriteResponse",
    totalBytesRewritten: String(written.size),
    objectSize: String(written.size),
    done: true,
    resource,
  });
}

const composeSchema = z.object({
  destination: z.record(z.string(), z.unknown()).optional(),
  sourceObjects: z
    .array(
      z.object({
        name: z.string().min(1),
        generation: z.union([z.string().regex(/^\d+$/), z.number().int()]).optional(),
        objectPreconditions: z
          .object({ ifGenerationMatch: z.union([z.string().regex(/^\d+$/), z.number().int()]).optional() })
          .optional(),
      }),
    )
    .min(1)
    .max(32),
});

/** POST /b/:bucket/o/:object/compose — objects.compose: the sources' bytes, concatenated. */
export async function composeObject(ctx: RouteContext, bucket: string, name: string): Promise<void> {
  validateObjectName(name);
  const request = parseRequest(composeSchema, parseJsonBody(await ctx.body()), "compose request");
  const destination = parseInsertMetadata(request.destination);
  for (const source of request.sourceObjects) {
    await ctx.authorize({ permission: StoragePermission.objectsGet, bucket, object: source.name });
  }
  await authorizeWrite(ctx, bucket, name);
  const sources = request.sourceObjects.map((s) => {
    const generation = s.generation === undefined ? undefined : BigInt(s.generation);
    const object = ctx.store.object({ bucket, name: s.name, generation });
    if (object === undefined) throw noSuchObject(bucket, s.name);
    const ifGenerationMatch = s.objectPreconditions?.ifGenerationMatch;
    if (ifGenerationMatch !== undefined)
      checkPreconditions(object, { ifGenerationMatch: BigInt(ifGenerationMatch) });
    return object;
  });
  const data = Buffer.concat(sources.map((s) => ctx.store.read(s)));
  const componentCount = sources.reduce((n, s) => n + (s.componentCount ?? 1), 0);
  const written = ctx.store.write(
    bucket,
    name,
    data,
    destination.attributes,
    parsePreconditions(ctx.params),
    {
      componentCount,
    },
  );
  sendJson(ctx.res, 200, ctx.written(written, "compose"));
}
