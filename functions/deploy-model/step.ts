import { adaptedStep } from "../../shared/pubsub-function.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { DeployModelAdapters } from "./adapters.js";
import { deployModel } from "./deploy-model.js";

/**
 * deployModel as a Pub/Sub step on `deployment-requested`. The key includes the correlation id: repeats of one
 * request deploy once, while a new promotion of a commit whose canary was rolled back tries again.
 */
export const deployModelStep = adaptedStep<typeof Topic.deploymentRequested, DeployModelAdapters>({
  name: FunctionName.deployModel,
  topic: Topic.deploymentRequested,
  idempotencyKey: (message) => `${message.model}@${message.commit}#${message.correlationId}`,
  logic: deployModel,
});
