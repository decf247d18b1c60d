import { type StepDefinition, stepDeps } from "../../shared/pubsub-function.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { DeployModelAdapters } from "./adapters.js";
import { deployModel } from "./deploy-model.js";

/**
 * deployModel as a Pub/Sub step on `deployment-requested`. The key includes the correlation id: repeats of one
 * request deploy once, while a new promotion of a commit whose canary was rolled back tries again.
 */
export function deployModelStep(
  adapters: (runtime: Runtime) => DeployModelAdapters,
): StepDefinition<typeof Topic.deploymentRequested> {
  return {
    name: FunctionName.deployModel,
    topic: Topic.deploymentRequested,
    idempotencyKey: (message) => `${message.model}@${message.commit}#${message.correlationId}`,
    run: (message, context) => deployModel(message, { ...adapters(context.runtime), ...stepDeps(context) }),
  };
}
