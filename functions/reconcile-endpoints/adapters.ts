import type { EndpointDeployer, ModelRegistry } from "../../shared/model-ports.js";
import { adaptersPerRuntime } from "../../shared/vertex/adapters-per-runtime.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";

/** What reconcileEndpoints reads from Vertex AI: the registry (versions, the alias) and the endpoints. */
export interface ReconcileAdapters {
  registry: Pick<ModelRegistry, "findParentModel" | "findVersions" | "getVersion">;
  endpoints: Pick<EndpointDeployer, "getEndpoint">;
}

/** The real adapters for a runtime, made once per instance (each client loads on its first call). */
export const reconcileAdapters = adaptersPerRuntime<ReconcileAdapters>((location) => ({
  registry: new VertexModelRegistry(location),
  endpoints: new VertexEndpointDeployer(location),
}));
