import type { IncomingMessage, ServerResponse } from "node:http";
import { type Authorize, bearerIdentity } from "./authorize.js";
import { forbidden, StorageApiError } from "./errors.js";
import type { FinalizeDispatcher } from "./finalize-dispatcher.js";
import { readBody, sendError, sendJson } from "./http-io.js";
import type { StorageLog } from "./log.js";
import { objectResource } from "./object-resource.js";
import type { ObjectStore } from "./object-store.js";
import type { ResumableSessions } from "./resumable-sessions.js";
import type { RouteContext } from "./route-context.js";
import { resolveRoute } from "./routes.js";

/** Where the default port serves the grants its authorize hook enforces (see `grants`). */
export const grantsPath = "/_modelgate/grants";

/** What every request is served over: the stores, the finalize dispatcher and the server's settings. */
export interface RequestHandlerDeps {
  store: ObjectStore;
  sessions: ResumableSessions;
  dispatcher: FinalizeDispatcher;
  log: StorageLog;
  authorize: Authorize;
  maxBodyBytes: number;
  grants?: () => unknown;
  /** Base of links when the request has no usable Host header: the server's own URL. */
  defaultBaseUrl: () => string;
}

/**
 * Serves one HTTP request: routes it, builds its RouteContext (identity, authorization, links) and
 * answers a refusal as a Cloud Storage JSON error. `listener` is the identity of the port it came in on.
 */
export function requestHandler(
  deps: RequestHandlerDeps,
): (req: IncomingMessage, res: ServerResponse, listener: string | undefined) => Promise<void> {
  const { store, sessions, dispatcher, log, authorize, maxBodyBytes } = deps;
  return async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    listener: string | undefined,
  ): Promise<void> {
    const method = req.method ?? "GET";
    let path = req.url ?? "/";
    try {
      const parsed = new URL(path, "http://local");
      path = parsed.pathname;
      if (path === grantsPath && method === "GET" && listener === undefined && deps.grants) {
        sendJson(res, 200, deps.grants());
        return;
      }
      const identity = listener ?? bearerIdentity(req.headers);
      // Links point back at the address the caller used, so they also work through a proxy name.
      const hostHeader = req.headers.host;
      const baseUrl =
        hostHeader !== undefined && /^[\w.:[\]-]+$/.test(hostHeader)
          ? `http://${hostHeader}`
          : deps.defaultBaseUrl();
      const { handler, match } = resolveRoute(method, parsed.pathname);
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
      refuse(res, log, caught, method, path);
    }
  };
}

/** Answers a request that failed: a StorageApiError as itself, anything else as a 500; logged unless a 304. */
function refuse(res: ServerResponse, log: StorageLog, caught: unknown, method: string, path: string): void {
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
