import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Authorize, allowAll, bearerIdentity } from "./authorize.js";
import { deleteBucket, getBucket, insertBucket, listBuckets } from "./bucket-routes.js";
import { badRequest, forbidden, noSuchRoute, StorageApiError } from "./errors.js";
import { type DeliveryRetry, FinalizeDispatcher, type FinalizeSubscription } from "./finalize-dispatcher.js";
import { readBody, sendError, sendJson } from "./http-io.js";
import { defaultLog, type StorageLog } from "./log.js";
import { validateBucketName } from "./object-metadata.js";
import { objectResource } from "./object-resource.js";
import {
  composeObject,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  rewriteObject,
} from "./object-routes.js";
import { ObjectStore } from "./object-store.js";
import { ResumableSessions } from "./resumable-sessions.js";
import type { RouteContext } from "./route-context.js";
import { cancelResumable, insertObject, putResumable } from "./upload-routes.js";

export interface StorageServerOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: an ephemeral port). */
  port?: number;
  /** Persist buckets and objects under this directory; otherwise they live in memory. */
  dir?: string;
  /** Structured log sink (default: JSON lines on stderr when MODELGATE_LOCAL_DEBUG is set). */
  log?: (entry: Record<string, unknown>) => void;
  /** Per-request authorization by IAM permission name; default allows everything. */
  authorize?: Authorize;
  /** Retry policy for finalize-event deliveries. */
  delivery?: DeliveryRetry;
  /** Largest request body accepted (default 1 GiB); larger gets a 413. */
  maxBodyBytes?: number;
  /**
   * One extra listener (an ephemeral port) per identity: every request arriving on it is that identity's
   * (`StorageRequestInfo.identity` and `.listener`), whatever it sends. The default port stays the admin's.
   */
  identities?: readonly string[];
  /** Served as JSON at `GET /_modelgate/grants` on the default port: the grants the authorize hook enforces. */
  grants?: () => unknown;
}

export type { FinalizeSubscription };

export interface LocalStorageServer {
  /** http://HOST:PORT — pass as `apiEndpoint` or STORAGE_EMULATOR_HOST. */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
  /** Deliver google.cloud.storage.object.v1.finalized CloudEvents for objects in `bucket` to `url` (as an Eventarc trigger does). */
  subscribeFinalize(sub: FinalizeSubscription): () => void;
  /** Resolves when no finalize delivery is in flight or scheduled. */
  idle(): Promise<void>;
  /** Creates a bucket if it does not exist yet (buckets can also be created via POST /storage/v1/b). */
  createBucket(name: string): void;
  /** http://HOST:PORT of each identity's listener (see `identities`). */
  identityUrls: Record<string, string>;
}

/** Where the default port serves the grants its authorize hook enforces (see `grants`). */
export const grantsPath = "/_modelgate/grants";

type Handler = (ctx: RouteContext, match: string[]) => Promise<void>;
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
function resolve(method: string, pathname: string): { handler: Handler; match: string[] } {
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

/** Starts the local Cloud Storage JSON API server. */
export async function startStorageServer(opts: StorageServerOptions = {}): Promise<LocalStorageServer> {
  const log: StorageLog = opts.log ?? defaultLog();
  const store = ObjectStore.open(opts.dir, log);
  const sessions = new ResumableSessions();
  const dispatcher = new FinalizeDispatcher(log, opts.delivery);
  const authorize = opts.authorize ?? allowAll;
  const maxBodyBytes = opts.maxBodyBytes ?? 1024 ** 3;
  const host = opts.host ?? "127.0.0.1";
  let url = "";

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    listener: string | undefined,
  ): Promise<void> {
    const method = req.method ?? "GET";
    let path = req.url ?? "/";
    try {
      const parsed = new URL(path, "http://local");
      path = parsed.pathname;
      if (path === grantsPath && method === "GET" && listener === undefined && opts.grants) {
        sendJson(res, 200, opts.grants());
        return;
      }
      const identity = listener ?? bearerIdentity(req.headers);
      // Links point back at the address the caller used, so they also work through a proxy name.
      const hostHeader = req.headers.host;
      const baseUrl =
        hostHeader !== undefined && /^[\w.:[\]-]+$/.test(hostHeader) ? `http://${hostHeader}` : url;
      const { handler, match } = resolve(method, parsed.pathname);
      const ctx: RouteContext = {
        req,
        res,
        url: parsed,
        params: parsed.searchParams,
        baseUrl,
        store,
        sessions,
        log,
        dispatcher,
        body: () => readBody(req, maxBodyBytes),
        async authorize(access) {
          const allowed = await authorize(
            {
              method,
              path: parsed.pathname,
              headers: req.headers,
              identity,
              ...(listener === undefined ? {} : { listener }),
            },
            access,
          );
          if (!allowed) {
            throw forbidden(identity, access.permission, access.object === undefined ? "bucket" : "object");
          }
        },
        written(object, via) {
          const resource = objectResource(object, baseUrl);
          log({
            severity: "INFO",
            message: "object written",
            bucket: object.bucket,
            object: object.name,
            generation: object.generation,
            via,
          });
          dispatcher.objectFinalized(resource);
          return resource;
        },
      };
      await handler(ctx, match);
    } catch (caught) {
      const error =
        caught instanceof StorageApiError
          ? caught
          : new StorageApiError(
              500,
              `Internal error: ${(caught as Error)?.message ?? String(caught)}`,
              "backendError",
            );
      if (error.code !== 304) {
        log({
          severity: error.code >= 500 ? "ERROR" : "WARNING",
          message: "request refused",
          method,
          path,
          status: error.code,
          reason: error.detail.reason,
          error: error.message,
        });
      }
      sendError(res, error);
    }
  }

  const idleConnectionMs = 10 * 60_000;
  const listen = async (port: number, listener: string | undefined) => {
    const server = createServer((req, res) => {
      void handle(req, res, listener);
    });
    // The storage client keeps its sockets alive and reuses them however long they idled; Node's server closes an
    // idle one after 5 s, and a request sent on it just then fails with "socket hang up" (seen once in the chaos
    // run). Google's front ends keep idle connections far longer; so does this server. close() ends them all.
    server.keepAliveTimeout = idleConnectionMs;
    await new Promise<void>((resolveListen, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolveListen();
      });
    });
    return server;
  };
  const urlOf = (server: Server) =>
    `http://${host.includes(":") ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
  const server = await listen(opts.port ?? 0, undefined);
  const port = (server.address() as AddressInfo).port;
  url = urlOf(server);
  // Same handler, same store: only the identity a request is attributed to differs.
  const identityServers: Server[] = [];
  const identityUrls: Record<string, string> = {};
  try {
    for (const identity of opts.identities ?? []) {
      const listener = await listen(0, identity);
      identityServers.push(listener);
      identityUrls[identity] = urlOf(listener);
    }
  } catch (error) {
    for (const s of [server, ...identityServers]) s.close();
    throw error;
  }

  return {
    url,
    host,
    port,
    identityUrls,
    subscribeFinalize: (sub) => dispatcher.subscribe(sub),
    idle: () => dispatcher.idle(),
    createBucket(name) {
      validateBucketName(name);
      if (store.bucket(name) === undefined) store.createBucket(name);
    },
    async close() {
      await dispatcher.close();
      await Promise.all(
        [server, ...identityServers].map(
          (s) =>
            new Promise<void>((resolveClose) => {
              s.close(() => resolveClose());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
