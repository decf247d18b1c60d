import * as z from "zod";
import { StoragePermission } from "./authorize.js";
import { badRequest } from "./errors.js";
import { parseJsonBody, sendEmpty, sendJson } from "./http-io.js";
import { validateBucketName } from "./object-metadata.js";
import { bucketResource } from "./object-resource.js";
import { parseRequest } from "./request-schema.js";
import type { RouteContext } from "./route-context.js";

const insertBucketSchema = z.object({
  name: z.string(),
  location: z.string().optional(),
  storageClass: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

function requireProject(ctx: RouteContext): void {
  if (!ctx.params.get("project")) throw badRequest("Required parameter: project", "required");
}

/** POST /b — buckets.insert. */
export async function insertBucket(ctx: RouteContext): Promise<void> {
  requireProject(ctx);
  const request = parseRequest(insertBucketSchema, parseJsonBody(await ctx.body()), "bucket resource");
  const name = validateBucketName(request.name);
  await ctx.authorize({ permission: StoragePermission.bucketsCreate, bucket: name });
  const extra: { location?: string; storageClass?: string; labels?: Record<string, string> } = {};
  if (request.location !== undefined) extra.location = request.location;
  if (request.storageClass !== undefined) extra.storageClass = request.storageClass;
  if (request.labels !== undefined) extra.labels = request.labels;
  const bucket = ctx.store.createBucket(name, extra);
  sendJson(ctx.res, 200, bucketResource(bucket, ctx.baseUrl));
}

/** GET /b — buckets.list. */
export async function listBuckets(ctx: RouteContext): Promise<void> {
  requireProject(ctx);
  await ctx.authorize({ permission: StoragePermission.bucketsList });
  const prefix = ctx.params.get("prefix") ?? "";
  const items = ctx.store
    .buckets()
    .filter((b) => b.name.startsWith(prefix))
    .map((b) => bucketResource(b, ctx.baseUrl));
  sendJson(ctx.res, 200, items.length > 0 ? { kind: "storage#buckets", items } : { kind: "storage#buckets" });
}

/** GET /b/:bucket — buckets.get. */
export async function getBucket(ctx: RouteContext, bucket: string): Promise<void> {
  await ctx.authorize({ permission: StoragePermission.bucketsGet, bucket });
  sendJson(ctx.res, 200, bucketResource(ctx.store.requireBucket(bucket), ctx.baseUrl));
}

/** DELETE /b/:bucket — buckets.delete (409 unless empty). */
export async function deleteBucket(ctx: RouteContext, bucket: string): Promise<void> {
  await ctx.authorize({ permission: StoragePermission.bucketsDelete, bucket });
  ctx.store.deleteBucket(bucket);
  sendEmpty(ctx.res, 204);
}
