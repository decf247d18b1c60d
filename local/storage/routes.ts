import { deleteBucket, getBucket, insertBucket, listBuckets } from "./bucket-routes.js";
import { badRequest, noSuchRoute } from "./errors.js";
import {
  composeObject,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  rewriteObject,
} from "./object-routes.js";
import type { RouteContext } from "./route-context.js";
import { cancelResumable, insertObject, putResumable } from "./upload-routes.js";

/** A route's handler: the request context and the path segments its pattern captured (decoded). */
export type Handler = (ctx: RouteContext, match: string[]) => Promise<void>;
interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

// Object names arrive percent-encoded (slashes as %2F); the catch-all object route also accepts
// raw slashes, as Cloud Storage does for `.../o/folder/file`.
const routes: Route[] = [
  { method: "GET", pattern: /^\/b\/?$/, handler: (ctx) => listBuckets(ctx) },
  { method: "POST", pattern: /^\/b\/?$/, handler: (ctx) => insertBucket(ctx) },
  { method: "GET", pattern: /^\/b\/([^/]+)\/?$/, handler: (ctx, [b]) => getBucket(ctx, b as string) },
  { method: "DELETE", pattern: /^\/b\/([^/]+)\/?$/, handler: (ctx, [b]) => deleteBucket(ctx, b as string) },
  { method: "GET", pattern: /^\/b\/([^/]+)\/o\/?$/, handler: (ctx, [b]) => listObjects(ctx, b as string) },
  {
    method: "POST",
    pattern: /^\/b\/([^/]+)\/o\/([^/]+)\/compose$/,
    handler: (ctx, [b, o]) => composeObject(ctx, b as string, o as string),
  },
  {
    method: "POST",
    pattern: /^\/b\/([^/]+)\/o\/([^/]+)\/(rewriteTo|copyTo)\/b\/([^/]+)\/o\/([^/]+)$/,
    handler: (ctx, [sb, so, kind, db, dob]) =>
      rewriteObject(
        ctx,
        { bucket: sb as string, name: so as string },
        { bucket: db as string, name: dob as string },
        kind as "rewriteTo" | "copyTo",
      ),
  },
  {
    method: "GET",
    pattern: /^\/b\/([^/]+)\/o\/(.+)$/,
    handler: (ctx, [b, o]) => getObject(ctx, b as string, o as string),
  },
  {
    method: "PATCH",
    pattern: /^\/b\/([^/]+)\/o\/(.+)$/,
    handler: (ctx, [b, o]) => patchObject(ctx, b as string, o as string),
  },
  {
    method: "DELETE",
    pattern: /^\/b\/([^/]+)\/o\/(.+)$/,
    handler: (ctx, [b, o]) => deleteObject(ctx, b as string, o as string),
  },
];

const uploadPattern = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/;
const downloadPattern = /^\/download\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/;

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`Malformed percent-encoding in path segment '${raw}'.`);
  }
}

/** Finds the handler for a request; the JSON API lives under /storage/v1 (or at / with STORAGE_EMULATOR_HOST). */
export function resolveRoute(method: string, pathname: string): { handler: Handler; match: string[] } {
  const upload = uploadPattern.exec(pathname);
  if (upload !== null) {
    const bucket = decodeSegment(upload[1] as string);
    if (method === "POST") return { handler: (ctx) => insertObject(ctx, bucket), match: [] };
    if (method === "PUT") return { handler: (ctx) => putResumable(ctx, bucket), match: [] };
    if (method === "DELETE") return { handler: (ctx) => cancelResumable(ctx, bucket), match: [] };
  }
  const download = downloadPattern.exec(pathname);
  if (download !== null && method === "GET") {
    const [bucket, name] = [decodeSegment(download[1] as string), decodeSegment(download[2] as string)];
    return {
      handler: (ctx) => {
        ctx.params.set("alt", "media");
        return getObject(ctx, bucket, name);
      },
      match: [],
    };
  }
  // The client sends STORAGE_EMULATOR_HOST's JSON calls without the /storage/v1 prefix.
  const jsonPath = pathname.startsWith("/storage/v1/") ? pathname.slice("/storage/v1".length) : pathname;
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(jsonPath);
    if (match !== null) return { handler: route.handler, match: match.slice(1).map(decodeSegment) };
  }
  throw noSuchRoute(method, pathname);
}
