import { type StepDefinition, stepDeps } from "../../shared/pubsub-function.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { RolloutModelAdapters } from "./adapters.js";
import { rolloutModel } from "./rollout-model.js";

/** rolloutModel as a Pub/Sub step on `verification-completed`: each verdict is acted on once. */
export function rolloutModelStep(
  adapters: (runtime: Runtime) => RolloutModelAdapters,
): StepDefinition<typeof Topic.verificationCompleted> {
  return {
    name: FunctionName.rolloutModel,
    topic: Topic.verificationCompleted,
    idempotencyKey: (message) =>
      `${message.model}@${message.commit}#${message.correlationId}/${message.deployedModelId}/${message.verdict}`,
    run: (message, context) => rolloutModel(message, { ...adapters(context.runtime), ...stepDeps(context) }),
  };
}
