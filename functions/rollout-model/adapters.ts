import type { EndpointDeployer, ModelRegistry } from "../../shared/model-ports.js";
import type { StepScheduler } from "../../shared/step-scheduler.js";
import { CloudTasksScheduler, rolloutQueueTarget } from "../../shared/tasks/cloud-tasks-scheduler.js";
import { adaptersPerRuntime } from "../../shared/vertex/adapters-per-runtime.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";

/** The ports rolloutModel calls Vertex AI and Cloud Tasks through. */
export interface RolloutModelAdapters {
  registry: ModelRegistry;
  deployer: EndpointDeployer;
  /** Schedules a step after its bake (Cloud Tasks). */
  scheduler?: StepScheduler;
}

/** The real adapters for a runtime, made once per instance (each client loads on its first call). */
export const rolloutModelAdapters = adaptersPerRuntime<RolloutModelAdapters>((location, runtime) => ({
  registry: new VertexModelRegistry(location),
  deployer: new VertexEndpointDeployer(location),
  scheduler: new CloudTasksScheduler(rolloutQueueTarget(runtime)),
}));
