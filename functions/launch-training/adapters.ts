import type { TrainingLauncher } from "../../shared/model-ports.js";
import { adaptersPerRuntime } from "../../shared/vertex/adapters-per-runtime.js";
import { VertexTrainingLauncher } from "../../shared/vertex/jobs-adapter.js";

/** The ports launchTraining calls Vertex AI through. */
export interface LaunchTrainingAdapters {
  launcher: TrainingLauncher;
}

/** The real adapters for a runtime, made once per instance (the client itself loads on its first call). */
export const launchTrainingAdapters = adaptersPerRuntime<LaunchTrainingAdapters>((location) => ({
  launcher: new VertexTrainingLauncher(location),
}));
