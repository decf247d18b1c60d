import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Authorize, allowAll } from "./authorize.js";
import { type DeliveryRetry, FinalizeDispatcher, type FinalizeSubscription } from "./finalize-dispatcher.js";
import { defaultLog, type StorageLog } from "./log.js";
import { validateBucketName } from "./object-metadata.js";
import { ObjectStore } from "./object-store.js";
import { requestHandler } from "./request-handler.js";
import { ResumableSessions } from "./resumable-sessions.js";

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

/** Starts the local Cloud Storage JSON API server. */
export async function startStorageServer(opts: StorageServerOptions = {}): Promise<LocalStorageServer> {
  const log: StorageLog = opts.log ?? defaultLog();
  const store = ObjectStore.open(opts.dir, log);
  const dispatcher = new FinalizeDispatcher(log, opts.delivery);
  const host = opts.host ?? "127.0.0.1";
  let url = "";
  const handle = requestHandler({
    store,
    sessions: new ResumableSessions(),
    dispatcher,
    log,
    authorize: opts.authorize ?? allowAll,
    maxBodyBytes: opts.maxBodyBytes ?? 1024 ** 3,
    ...(opts.grants ? { grants: opts.grants } : {}),
    defaultBaseUrl: () => url,
  });

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
