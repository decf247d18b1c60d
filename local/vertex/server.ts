import { CustomJobStore } from "./custom-jobs.js";
import { DeploymentStore } from "./deployed-models.js";
import { EndpointStore } from "./endpoint-store.js";
import { FaultInjector, type VertexFaults } from "./fault-injector.js";
import { GrpcListeners } from "./grpc-listeners.js";
import type { TrainerCommand } from "./job-runner.js";
import { type VertexStores, vertexHandlers } from "./method-table.js";
import { ModelRegistry } from "./model-registry.js";
import { OperationManager } from "./operations.js";
import type { Authorize } from "./permissions.js";
import { type PredictorFactory, PredictRouter } from "./predict-router.js";
import { LocationScope } from "./resource-names.js";
import { type RequestLogEntry, RpcDispatch } from "./rpc-dispatch.js";

export type { RequestLogEntry } from "./rpc-dispatch.js";

/** Options of `startVertexServer`. */
export interface VertexServerOptions {
  host?: string;
  port?: number;
  /** Default "local-project". */
  project?: string;
  /** Default "us-central1". */
  location?: string;
  /** http://127.0.0.1:PORT of the local Cloud Storage server; artifacts and AIP_* dirs live there. */
  storageApiEndpoint: string;
  /** Training container imageUri → the local command that stands in for it. */
  trainers?: Record<string, TrainerCommand>;
  /** Serving container imageUri → the factory that loads a predictor for a model version. */
  predictors?: Record<string, PredictorFactory>;
  /** Long-running operations complete, and custom jobs leave PENDING, after this delay. Default 20. */
  operationDelayMs?: number;
  /** Default 1000. */
  maxInstancesPerRequest?: number;
  /** Added to every Predict. Default 0. */
  predictLatencyMs?: number;
  /** Decides each RPC's IAM permission; default: allow everything. */
  authorize?: Authorize;
  /**
   * One extra port per identity, served by its own gRPC server over the same jobs, models and endpoints: every
   * call arriving on it is that identity's (its bearer header is ignored). On the default port a call's identity is
   * its `authorization: Bearer` token, else null.
   */
  identities?: readonly string[];
  /** The Cloud Storage endpoint a training job's process gets (the account jobs run as); default storageApiEndpoint. */
  trainerStorageApiEndpoint?: string;
  /** Where refusals and job events go; default: one JSON line on stderr when MODELGATE_LOCAL_DEBUG is set. */
  log?: (entry: Record<string, unknown>) => void;
  /** Source of randomness for traffic-split routing (tests may fix it). Default Math.random. */
  random?: () => number;
}

/** A running local Vertex AI server. */
export interface LocalVertexServer {
  /** "127.0.0.1:PORT", for `localVertexClientOptions`. */
  address: string;
  /** "127.0.0.1:PORT" of each identity's port (see `identities`). */
  identityAddresses: Record<string, string>;
  host: string;
  port: number;
  /** The `projects/P/locations/L` this server serves. */
  parent: string;
  close(): Promise<void>;
  faults: VertexFaults;
  requestLog: ReadonlyArray<RequestLogEntry>;
}

/** Starts the local Vertex AI gRPC server (JobService, ModelService, EndpointService, PredictionService, Operations). */
export async function startVertexServer(opts: VertexServerOptions): Promise<LocalVertexServer> {
  if (!opts.storageApiEndpoint || !/^https?:\/\//.test(opts.storageApiEndpoint)) {
    throw new Error(
      `VertexServerOptions.storageApiEndpoint must be the http://HOST:PORT of the local Cloud Storage server, got \`${opts.storageApiEndpoint}\``,
    );
  }
  const host = opts.host ?? "127.0.0.1";
  const log = opts.log ?? defaultLog;
  const scope = new LocationScope(opts.project ?? "local-project", opts.location ?? "us-central1");
  const faults = new FaultInjector();
  const stores = createStores(opts, scope, faults, log);
  const dispatch = new RpcDispatch({
    handlers: vertexHandlers(stores),
    faults,
    authorize: opts.authorize ?? (() => true),
    log,
  });
  const listeners = new GrpcListeners(host, (method, listener) => dispatch.serve(method, listener));
  const closeStores = async () => {
    stores.operations.close();
    await stores.jobs.close();
  };
  const identityAddresses: Record<string, string> = {};
  let port: number;
  try {
    port = await listeners.listen(opts.port ?? 0, null);
    for (const identity of opts.identities ?? [])
      identityAddresses[identity] = `${host}:${await listeners.listen(0, identity)}`;
  } catch (error) {
    listeners.forceShutdown();
    await closeStores();
    throw error;
  }

  let closed: Promise<void> | undefined;
  return {
    address: `${host}:${port}`,
    identityAddresses,
    host,
    port,
    parent: scope.parent,
    faults,
    requestLog: dispatch.requestLog,
    close() {
      closed ??= closeStores().then(() => listeners.shutdown());
      return closed;
    },
  };
}

function createStores(
  opts: VertexServerOptions,
  scope: LocationScope,
  faults: FaultInjector,
  log: (entry: Record<string, unknown>) => void,
): VertexStores {
  const delayMs = opts.operationDelayMs ?? 20;
  const jobs = new CustomJobStore({
    scope,
    trainers: opts.trainers ?? {},
    storageApiEndpoint: opts.trainerStorageApiEndpoint ?? opts.storageApiEndpoint,
    faults,
    startDelayMs: delayMs,
    log,
  });
  const registry = new ModelRegistry(scope);
  const router = new PredictRouter({
    predictors: opts.predictors ?? {},
    storageApiEndpoint: opts.storageApiEndpoint,
    project: scope.project,
    maxInstancesPerRequest: opts.maxInstancesPerRequest ?? 1000,
    predictLatencyMs: opts.predictLatencyMs ?? 0,
    ...(opts.random ? { random: opts.random } : {}),
  });
  const endpoints = new EndpointStore(scope);
  const deployments = new DeploymentStore(endpoints, registry, router);
  const operations = new OperationManager(delayMs, faults, log);
  return { jobs, registry, endpoints, deployments, router, operations };
}

function defaultLog(entry: Record<string, unknown>): void {
  if (process.env.MODELGATE_LOCAL_DEBUG) {
    process.stderr.write(
      `${JSON.stringify({ component: "local-vertex", time: new Date().toISOString(), ...entry })}\n`,
    );
  }
}
