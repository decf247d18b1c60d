import type { ModelRegistry } from "../../shared/model-ports.js";
import { adaptersPerRuntime } from "../../shared/vertex/adapters-per-runtime.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";

/** The ports registerModel calls Vertex AI through. */
export interface RegisterModelAdapters {
  registry: ModelRegistry;
}

/** The real adapters for a runtime, made once per instance (the client itself loads on its first call). */
export const registerModelAdapters = adaptersPerRuntime<RegisterModelAdapters>((location) => ({
  registry: new VertexModelRegistry(location),
}));
