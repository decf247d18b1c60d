import type { TrainingLauncher } from "../../shared/model-ports.js";
import { VertexTrainingLauncher } from "../../shared/vertex/jobs-adapter.js";
import { portsPerRuntime } from "../../shared/vertex/runtime-ports.js";

/** The ports launchTraining calls Vertex AI through. */
export interface LaunchTrainingVertexPorts {
  launcher: TrainingLauncher;
}

/** The real adapters for a runtime, made once per instance (the client itself loads on its first call). */
export const launchTrainingPorts = portsPerRuntime<LaunchTrainingVertexPorts>((location) => ({
  launcher: new VertexTrainingLauncher(location),
}));
