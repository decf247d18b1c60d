import type { EndpointDeployer, ModelRegistry } from "../../shared/model-ports.js";
import { adaptersPerRuntime } from "../../shared/vertex/adapters-per-runtime.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";

/** The ports deployModel calls Vertex AI through. */
export interface DeployModelAdapters {
  registry: ModelRegistry;
  deployer: EndpointDeployer;
}

/** The real adapters for a runtime, made once per instance (each client loads on its first call). */
export const deployModelAdapters = adaptersPerRuntime<DeployModelAdapters>((location) => ({
  registry: new VertexModelRegistry(location),
  deployer: new VertexEndpointDeployer(location),
}));
