import {
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { CustomJobStore } from "./custom-jobs.js";
import { EndpointStore } from "./endpoint-store.js";
import { RpcError, toStatus } from "./errors.js";
import { FaultInjector, type VertexFaults } from "./fault-injector.js";
import type { TrainerCommand } from "./job-runner.js";
import { ModelRegistry } from "./model-registry.js";
import { OperationManager } from "./operations.js";
import {
  type Authorize,
  identityOf,
  type PermissionCheck,
  resolveCheck,
  type VertexMethod,
  vertexPermissions,
} from "./permissions.js";
import { type PredictorFactory, PredictRouter } from "./predict-router.js";
import { serviceDefinition, serviceNames, v1 } from "./protos.js";
import { LocationScope } from "./resource-names.js";

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

/** One RPC the server answered. */
export interface RequestLogEntry {
  method: string;
  request: unknown;
  code: number;
  at: number;
  identity: string | null;
  message?: string;
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

const requestLogLimit = 20_000;

type Handler = (request: never) => unknown;

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
  const delayMs = opts.operationDelayMs ?? 20;
  const authorize = opts.authorize ?? (() => true);
  const faults = new FaultInjector();
  const operations = new OperationManager(delayMs, faults, log);
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
  const endpoints = new EndpointStore(scope, registry, router);

  const lro = (
    method: VertexMethod,
    metadata: string,
    response: string,
    change: { resourceName: string; complete: () => object | Promise<object>; abandon?: () => void },
  ) =>
    operations.start({
      method,
      resourceName: change.resourceName,
      metadataType: metadata,
      responseType: response,
      complete: change.complete,
      ...(change.abandon ? { abandon: change.abandon } : {}),
    });

  const handlers: Record<VertexMethod, Handler> = {
    CreateCustomJob: (request: Parameters<CustomJobStore["create"]>[0]) => jobs.create(request),
    GetCustomJob: (request: { name?: string }) => jobs.get(request),
    ListCustomJobs: (request: Parameters<CustomJobStore["list"]>[0]) => jobs.list(request),
    CancelCustomJob: (request: { name?: string }) => jobs.cancel(request),
    UploadModel: (request: Parameters<ModelRegistry["upload"]>[0]) => {
      const pending = registry.upload(request);
      return lro("UploadModel", `${v1}.UploadModelOperationMetadata`, `${v1}.UploadModelResponse`, {
        resourceName: pending.modelName,
        complete: pending.complete,
      });
    },
    GetModel: (request: { name?: string }) => registry.get(request),
    ListModels: (request: Parameters<ModelRegistry["list"]>[0]) => registry.list(request),
    ListModelVersions: (request: Parameters<ModelRegistry["listVersions"]>[0]) =>
      registry.listVersions(request),
    MergeVersionAliases: (request: Parameters<ModelRegistry["mergeVersionAliases"]>[0]) =>
      registry.mergeVersionAliases(request),
    UpdateModel: (request: Parameters<ModelRegistry["update"]>[0]) => registry.update(request),
    CreateEndpoint: (request: Parameters<EndpointStore["create"]>[0]) =>
      lro(
        "CreateEndpoint",
        `${v1}.CreateEndpointOperationMetadata`,
        `${v1}.Endpoint`,
        endpoints.create(request),
      ),
    GetEndpoint: (request: { name?: string }) => endpoints.get(request),
    ListEndpoints: (request: Parameters<EndpointStore["list"]>[0]) => endpoints.list(request),
    UpdateEndpoint: (request: Parameters<EndpointStore["update"]>[0]) => endpoints.update(request),
    DeleteEndpoint: (request: { name?: string }) =>
      lro(
        "DeleteEndpoint",
        `${v1}.DeleteOperationMetadata`,
        "google.protobuf.Empty",
        endpoints.delete(request),
      ),
    DeployModel: (request: Parameters<EndpointStore["deploy"]>[0]) =>
      lro(
        "DeployModel",
        `${v1}.DeployModelOperationMetadata`,
        `${v1}.DeployModelResponse`,
        endpoints.deploy(request),
      ),
    UndeployModel: (request: Parameters<EndpointStore["undeploy"]>[0]) =>
      lro(
        "UndeployModel",
        `${v1}.UndeployModelOperationMetadata`,
        `${v1}.UndeployModelResponse`,
        endpoints.undeploy(request),
      ),
    MutateDeployedModel: (request: Parameters<EndpointStore["mutate"]>[0]) =>
      lro(
        "MutateDeployedModel",
        `${v1}.MutateDeployedModelOperationMetadata`,
        `${v1}.MutateDeployedModelResponse`,
        endpoints.mutate(request),
      ),
    Predict: (request: { endpoint?: string } & Parameters<PredictRouter["predict"]>[1]) =>
      router.predict(endpoints.find(request.endpoint, "endpoint"), request),
    Explain: (request: { endpoint?: string } & Parameters<PredictRouter["explain"]>[1]) =>
      router.explain(endpoints.find(request.endpoint, "endpoint"), request),
    GetOperation: (request: { name?: string }) => operations.get(request.name ?? ""),
    ListOperations: (request: { name?: string; filter?: string; pageSize?: number; pageToken?: string }) =>
      operations.list(
        request.name ?? "",
        request.filter ?? "",
        request.pageSize ?? 0,
        request.pageToken ?? "",
      ),
    WaitOperation: (request: { name?: string; timeout?: { seconds?: string; nanos?: number } }) => {
      const requested = request.timeout
        ? Number(request.timeout.seconds ?? 0) * 1000 + (request.timeout.nanos ?? 0) / 1e6
        : 60_000;
      return operations.wait(request.name ?? "", Math.min(requested, 60_000));
    },
    CancelOperation: (request: { name?: string }) => {
      operations.cancel(request.name ?? "");
      return {};
    },
    DeleteOperation: (request: { name?: string }) => {
      operations.delete(request.name ?? "");
      return {};
    },
  };

  const requestLog: RequestLogEntry[] = [];
  const record = (entry: RequestLogEntry) => {
    requestLog.push(entry);
    if (requestLog.length > requestLogLimit) requestLog.splice(0, requestLog.length - requestLogLimit);
  };

  const serve =
    (method: string, listener: string | null): handleUnaryCall<unknown, unknown> =>
    (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const identity = listener ?? identityOf(call.metadata.get("authorization")[0]);
      const request = call.request;
      const run = async () => {
        const known = method in handlers ? (method as VertexMethod) : undefined;
        if (!known) {
          throw new RpcError(
            "UNIMPLEMENTED",
            `Method ${method} is not implemented by the local Vertex AI server.`,
          );
        }
        await faults.beforeCall(known);
        for (const check of vertexPermissions[known] as readonly PermissionCheck[]) {
          const resolved = resolveCheck(check, request);
          if (!resolved) continue;
          const { permission, resourceName } = resolved;
          if (!(await authorize(identity, permission, resourceName))) {
            throw new RpcError(
              "PERMISSION_DENIED",
              permission.startsWith("iam.")
                ? `Permission '${permission}' denied on service account ${resourceName} (or it may not exist).`
                : `Permission '${permission}' denied on resource '//aiplatform.googleapis.com/${resourceName}' (or it may not exist).`,
            );
          }
        }
        return (handlers[known] as (request: unknown) => unknown)(request);
      };
      run().then(
        (response) => {
          record({ method, request, code: status.OK, at: Date.now(), identity });
          callback(null, response);
        },
        (error: unknown) => {
          const { code, message } = toStatus(error);
          record({ method, request, code, at: Date.now(), identity, message });
          log({ event: "rpc-refused", method, code: status[code], message, identity });
          callback({ code, details: message });
        },
      );
    };

  // A gRPC handler cannot tell which port a call came in on, so each identity gets its own server instance over
  // the same stores, with the handlers bound to that identity.
  const servers: Server[] = [];
  const listen = (bindPort: number, listener: string | null) => {
    const server = new Server();
    for (const service of Object.values(serviceNames)) {
      const definition = serviceDefinition(service);
      const implementation: Record<string, handleUnaryCall<unknown, unknown>> = {};
      for (const [method, spec] of Object.entries(definition)) {
        // Streaming methods are left to grpc-js, which answers UNIMPLEMENTED for them.
        if (!spec.requestStream && !spec.responseStream) implementation[method] = serve(method, listener);
      }
      server.addService(definition, implementation);
    }
    servers.push(server);
    return new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${bindPort}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
  };
  const identityAddresses: Record<string, string> = {};
  let port: number;
  try {
    port = await listen(opts.port ?? 0, null);
    for (const identity of opts.identities ?? [])
      identityAddresses[identity] = `${host}:${await listen(0, identity)}`;
  } catch (error) {
    for (const server of servers) server.forceShutdown();
    operations.close();
    await jobs.close();
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
    requestLog,
    close() {
      closed ??= (async () => {
        operations.close();
        await jobs.close();
        await Promise.all(
          servers.map(
            (server) =>
              new Promise<void>((resolve) => {
                const force = setTimeout(() => server.forceShutdown(), 2000);
                server.tryShutdown(() => {
                  clearTimeout(force);
                  resolve();
                });
              }),
          ),
        );
      })();
      return closed;
    },
  };
}

function defaultLog(entry: Record<string, unknown>): void {
  if (process.env.MODELGATE_LOCAL_DEBUG) {
    process.stderr.write(
      `${JSON.stringify({ component: "local-vertex", time: new Date().toISOString(), ...entry })}\n`,
    );
  }
}
