import { vertexParent } from "../../shared/config.js";
import type { TrainingLauncher } from "../../shared/model-ports.js";
import type { Runtime } from "../../shared/runtime.js";
import { VertexTrainingLauncher } from "../../shared/vertex/jobs-adapter.js";

/** The ports launchTraining calls Vertex AI through. */
export interface LaunchTrainingVertexPorts {
  launcher: TrainingLauncher;
}

const perRuntime = new WeakMap<Runtime, LaunchTrainingVertexPorts>();

/** The real adapters for a runtime, made once per instance (the client itself loads on its first call). */
export function launchTrainingPorts(runtime: Runtime): LaunchTrainingVertexPorts {
  let ports = perRuntime.get(runtime);
  if (!ports) {
    const location = {
      env: runtime.env,
      region: runtime.config.region,
      parent: vertexParent(runtime.config),
    };
    ports = { launcher: new VertexTrainingLauncher(location) };
    perRuntime.set(runtime, ports);
  }
  return ports;
}
