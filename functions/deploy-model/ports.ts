import type { EndpointDeployer, ModelRegistry } from "../../shared/model-ports.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { portsPerRuntime } from "../../shared/vertex/runtime-ports.js";

/** The ports deployModel calls Vertex AI through. */
export interface DeployModelVertexPorts {
  registry: ModelRegistry;
  deployer: EndpointDeployer;
}

/** The real adapters for a runtime, made once per instance (each client loads on its first call). */
export const deployModelPorts = portsPerRuntime<DeployModelVertexPorts>((location) => ({
  registry: new VertexModelRegistry(location),
  deployer: new VertexEndpointDeployer(location),
}));
