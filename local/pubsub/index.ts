import { Server, ServerCredentials } from "@grpc/grpc-js";
import { type Authorize, accessFor, allowAll } from "./authorize.js";
import type { PubSubStats } from "./delivery-stats.js";
import { createAgents } from "./http-post.js";
import { defaultLog, type PubSubLog } from "./log.js";
import { loadPubSubServices } from "./proto.js";
import { publisherService } from "./publisher-service.js";
import { PubSubStore } from "./store.js";
import { subscriberService } from "./subscriber-service.js";
import type { PubSubFaults } from "./types.js";

export { type Authorize, allowAll, PubSubPermission } from "./authorize.js";
export type { DeadLetterRecord, PubSubStats } from "./delivery-stats.js";
export type { PubSubLog } from "./log.js";
export type { PushAttempt } from "./push-deliverer.js";
export type { PubSubFaults } from "./types.js";

/** Where to listen, where to log, and which faults to inject. */
export interface PubSubServerOptions {
  /** Interface to bind; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** Port to bind; 0 (the default) picks a free one. */
  port?: number;
  /** Receives one entry per refused request, failed push and dead letter. */
  log?: (entry: Record<string, unknown>) => void;
  faults?: PubSubFaults;
  /** Decides each call's IAM permission (see `Authorize`); default: allow everything. */
  authorize?: Authorize;
  /**
   * One extra port per identity, served by its own gRPC server over the same topics and subscriptions: every
   * call arriving on it is that identity's. The default port's calls carry no identity (null).
   */
  identities?: readonly string[];
}

/** A running local Pub/Sub server. */
export interface LocalPubSubServer {
  host: string;
  port: number;
  /** "127.0.0.1:PORT", for PUBSUB_EMULATOR_HOST or the client's apiEndpoint. */
  address: string;
  /** "127.0.0.1:PORT" of each identity's port (see `identities`). */
  identityAddresses: Record<string, string>;
  /** Push faults; mutate at runtime, each delivery reads the current values. */
  faults: PubSubFaults;
  /** Ends open streams, abandons pushes in flight and stops listening. */
  close(): Promise<void>;
  /** Resolves when no push delivery is in flight or scheduled. */
  idle(): Promise<void>;
  /** What was published, pushed and dead-lettered so far. */
  stats(): PubSubStats;
}

/**
 * Starts an in-memory Pub/Sub server speaking the real google.pubsub.v1 gRPC API, with push
 * subscriptions delivering Pub/Sub's push envelope. Connect the real client with
 * `new PubSub({ projectId, apiEndpoint: server.address, emulatorMode: true })` or PUBSUB_EMULATOR_HOST.
 */
export async function startPubSubServer(opts: PubSubServerOptions = {}): Promise<LocalPubSubServer> {
  const host = opts.host ?? "127.0.0.1";
  const log: PubSubLog = opts.log ?? defaultLog();
  const faults: PubSubFaults = opts.faults ?? {};
  const abort = new AbortController();
  const agents = createAgents();
  const live: { faults: PubSubFaults } = { faults };
  const store = new PubSubStore({ log, faults: () => live.faults, agents, signal: abort.signal });

  const services = loadPubSubServices();
  const authorize = opts.authorize ?? allowAll;
  // A gRPC handler cannot tell which port a call came in on, so each identity gets its own server instance over
  // the same store, with the access check bound to that identity.
  const subscribers: Array<ReturnType<typeof subscriberService>> = [];
  const grpcServers: Server[] = [];
  const serve = async (port: number, identity: string | null) => {
    const access = accessFor(authorize, identity);
    const subscriber = subscriberService(store, log, access);
    const server = new Server();
    server.addService(services.publisher, publisherService(store, log, access));
    server.addService(services.subscriber, subscriber.implementation);
    subscribers.push(subscriber);
    grpcServers.push(server);
    return new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
  };
  const formatAddress = (p: number) => `${host.includes(":") ? `[${host}]` : host}:${p}`;
  const identityAddresses: Record<string, string> = {};
  let port: number;
  try {
    port = await serve(opts.port ?? 0, null);
    for (const identity of opts.identities ?? [])
      identityAddresses[identity] = formatAddress(await serve(0, identity));
  } catch (error) {
    for (const server of grpcServers) server.forceShutdown();
    abort.abort();
    store.close();
    throw error;
  }

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      abort.abort();
      store.close();
      for (const subscriber of subscribers) subscriber.closeAll();
      await Promise.all(grpcServers.map(shutdown));
      agents.http.destroy();
      agents.https.destroy();
    })();
    return closed;
  };

  const address = formatAddress(port);
  return {
    host,
    port,
    address,
    identityAddresses,
    get faults() {
      return live.faults;
    },
    set faults(value: PubSubFaults) {
      live.faults = value;
    },
    close,
    idle: () => store.idle(),
    stats: () => store.stats(),
  };
}

/** Lets a gRPC server finish; calls still open after the streams were told to end (a client that never reads) are cut. */
function shutdown(grpcServer: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    grpcServer.tryShutdown(() => resolve());
    setTimeout(() => grpcServer.forceShutdown(), 1000).unref();
  });
}
