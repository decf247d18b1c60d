import type { IncomingMessage, ServerResponse } from "node:http";
import type { StorageAccess } from "./authorize.js";
import type { FinalizeDispatcher } from "./finalize-dispatcher.js";
import type { StorageLog } from "./log.js";
import type { ObjectStore } from "./object-store.js";
import type { ResumableSessions } from "./resumable-sessions.js";
import type { StoredObject } from "./stored-types.js";

/** Everything a route handler may use for one request. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: URLSearchParams;
  /** Base of links in resources (selfLink, mediaLink, resumable Location). */
  baseUrl: string;
  store: ObjectStore;
  sessions: ResumableSessions;
  log: StorageLog;
  /** The whole request body (size-limited). */
  body(): Promise<Buffer>;
  /** Throws a 403 unless the authorize hook allows `access`. */
  authorize(access: StorageAccess): Promise<void>;
  /** Records a committed write (log + finalize events) and returns its resource. */
  written(object: StoredObject, via: string): Record<string, unknown>;
  dispatcher: FinalizeDispatcher;
}
