import type { ModelRegistry } from "../../shared/model-ports.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { portsPerRuntime } from "../../shared/vertex/runtime-ports.js";

/** The ports registerModel calls Vertex AI through. */
export interface RegisterModelVertexPorts {
  registry: ModelRegistry;
}

/** The real adapters for a runtime, made once per instance (the client itself loads on its first call). */
export const registerModelPorts = portsPerRuntime<RegisterModelVertexPorts>((location) => ({
  registry: new VertexModelRegistry(location),
}));
