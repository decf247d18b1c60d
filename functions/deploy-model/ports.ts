import { vertexParent } from "../../shared/config.js";
import type { EndpointDeployer, ModelRegistry } from "../../shared/model-ports.js";
import type { Runtime } from "../../shared/runtime.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";

/** The ports deployModel calls Vertex AI through. */
export interface DeployModelVertexPorts {
  registry: ModelRegistry;
  deployer: EndpointDeployer;
}

const perRuntime = new WeakMap<Runtime, DeployModelVertexPorts>();

/** The real adapters for a runtime, made once per instance (each client loads on its first call). */
export function deployModelPorts(runtime: Runtime): DeployModelVertexPorts {
  let ports = perRuntime.get(runtime);
  if (!ports) {
    const location = {
      env: runtime.env,
      region: runtime.config.region,
      parent: vertexParent(runtime.config),
    };
    ports = { registry: new VertexModelRegistry(location), deployer: new VertexEndpointDeployer(location) };
    perRuntime.set(runtime, ports);
  }
  return ports;
}
