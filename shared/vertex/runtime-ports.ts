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
 * Makes a function's Vertex ports once per runtime (one runtime per instance, so once per instance); the adapters
 * load their clients on first call, so making the ports costs nothing at cold start.
 */
export function portsPerRuntime<P>(make: (location: VertexLocation) => P): (runtime: Runtime) => P {
  const made = new WeakMap<Runtime, P>();
  return (runtime) => {
    let ports = made.get(runtime);
    if (!ports) {
      ports = make(vertexLocation(runtime));
      made.set(runtime, ports);
    }
    return ports;
  };
}
