import type { CustomJobStore } from "./custom-jobs.js";
import type { DeploymentStore } from "./deployed-models.js";
import type { EndpointStore } from "./endpoint-store.js";
import type { ModelRegistry } from "./model-registry.js";
import type { OperationManager, OperationMessage, OperationSpec } from "./operations.js";
import type { VertexMethod } from "./permissions.js";
import type { PredictRouter } from "./predict-router.js";
import { v1 } from "./protos.js";

/** What the RPC handlers act on: the server's stores, shared by every port it listens on. */
export interface VertexStores {
  jobs: CustomJobStore;
  registry: ModelRegistry;
  endpoints: EndpointStore;
  deployments: DeploymentStore;
  router: PredictRouter;
  operations: OperationManager;
}

/** One RPC's handler: the decoded request in, the response (or a promise of it) out. */
export type Handler = (request: never) => unknown;

/** The metadata and response types each long-running RPC packs into its Operation. */
const longRunning = {
  UploadModel: [`${v1}.UploadModelOperationMetadata`, `${v1}.UploadModelResponse`],
  CreateEndpoint: [`${v1}.CreateEndpointOperationMetadata`, `${v1}.Endpoint`],
  DeleteEndpoint: [`${v1}.DeleteOperationMetadata`, "google.protobuf.Empty"],
  DeployModel: [`${v1}.DeployModelOperationMetadata`, `${v1}.DeployModelResponse`],
  UndeployModel: [`${v1}.UndeployModelOperationMetadata`, `${v1}.UndeployModelResponse`],
  MutateDeployedModel: [`${v1}.MutateDeployedModelOperationMetadata`, `${v1}.MutateDeployedModelResponse`],
} as const satisfies Partial<Record<VertexMethod, readonly [string, string]>>;

type Change = Pick<OperationSpec, "resourceName" | "complete"> & { abandon?: () => void };

/** The gRPC method table: each Vertex AI method the local server implements, bound to the stores. */
export function vertexHandlers(stores: VertexStores): Record<VertexMethod, Handler> {
  const { jobs, registry, endpoints, deployments, router, operations } = stores;
  const lro = (method: keyof typeof longRunning, change: Change): OperationMessage => {
    const [metadataType, responseType] = longRunning[method];
    return operations.start({
      method,
      resourceName: change.resourceName,
      metadataType,
      responseType,
      complete: change.complete,
      ...(change.abandon ? { abandon: change.abandon } : {}),
    });
  };
  return {
    CreateCustomJob: (request: Parameters<CustomJobStore["create"]>[0]) => jobs.create(request),
    GetCustomJob: (request: { name?: string }) => jobs.get(request),
    ListCustomJobs: (request: Parameters<CustomJobStore["list"]>[0]) => jobs.list(request),
    CancelCustomJob: (request: { name?: string }) => jobs.cancel(request),
    UploadModel: (request: Parameters<ModelRegistry["upload"]>[0]) => {
      const pending = registry.upload(request);
      return lro("UploadModel", { resourceName: pending.modelName, complete: pending.complete });
    },
    GetModel: (request: { name?: string }) => registry.get(request),
    ListModels: (request: Parameters<ModelRegistry["list"]>[0]) => registry.list(request),
    ListModelVersions: (request: Parameters<ModelRegistry["listVersions"]>[0]) =>
      registry.listVersions(request),
    MergeVersionAliases: (request: Parameters<ModelRegistry["mergeVersionAliases"]>[0]) =>
      registry.mergeVersionAliases(request),
    UpdateModel: (request: Parameters<ModelRegistry["update"]>[0]) => registry.update(request),
    CreateEndpoint: (request: Parameters<EndpointStore["create"]>[0]) =>
      lro("CreateEndpoint", endpoints.create(request)),
    GetEndpoint: (request: { name?: string }) => endpoints.get(request),
    ListEndpoints: (request: Parameters<EndpointStore["list"]>[0]) => endpoints.list(request),
    UpdateEndpoint: (request: Parameters<EndpointStore["update"]>[0]) => endpoints.update(request),
    DeleteEndpoint: (request: { name?: string }) => lro("DeleteEndpoint", endpoints.delete(request)),
    DeployModel: (request: Parameters<DeploymentStore["deploy"]>[0]) =>
      lro("DeployModel", deployments.deploy(request)),
    UndeployModel: (request: Parameters<DeploymentStore["undeploy"]>[0]) =>
      lro("UndeployModel", deployments.undeploy(request)),
    MutateDeployedModel: (request: Parameters<DeploymentStore["mutate"]>[0]) =>
      lro("MutateDeployedModel", deployments.mutate(request)),
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
}
