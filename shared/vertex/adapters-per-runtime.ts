import { vertexParent } from "../config.js";
import type { Runtime } from "../runtime.js";
import type { VertexLocation } from "./vertex-client.js";

/** Where a runtime's Vertex AI calls go: its configured project and region, its client endpoints. */
export function vertexLocation(runtime: Runtime): VertexLocation {
  return {
    endpoint: runtime.settings.vertexEndpoint,
    region: runtime.config.region,
    parent: vertexParent(runtime.config),
  };
}

/**
 * Makes a function's Vertex adapters once per runtime (one runtime per instance, so once per instance); the adapters
 * load their clients on first call, so making them costs nothing at cold start.
 */
export function adaptersPerRuntime<P>(
  make: (location: VertexLocation, runtime: Runtime) => P,
): (runtime: Runtime) => P {
  const made = new WeakMap<Runtime, P>();
  return (runtime) => {
    let adapters = made.get(runtime);
    if (!adapters) {
      adapters = make(vertexLocation(runtime), runtime);
      made.set(runtime, adapters);
    }
    return adapters;
  };
}
