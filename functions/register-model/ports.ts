import { vertexParent } from "../../shared/config.js";
import type { ModelRegistry } from "../../shared/model-ports.js";
import type { Runtime } from "../../shared/runtime.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";

/** The ports registerModel calls Vertex AI through. */
export interface RegisterModelVertexPorts {
  registry: ModelRegistry;
}

const perRuntime = new WeakMap<Runtime, RegisterModelVertexPorts>();

/** The real adapters for a runtime, made once per instance (the client itself loads on its first call). */
export function registerModelPorts(runtime: Runtime): RegisterModelVertexPorts {
  let ports = perRuntime.get(runtime);
  if (!ports) {
    const location = {
      env: runtime.env,
      region: runtime.config.region,
      parent: vertexParent(runtime.config),
    };
    ports = { registry: new VertexModelRegistry(location) };
    perRuntime.set(runtime, ports);
  }
  return ports;
}
