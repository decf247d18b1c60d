import { type StepDefinition, stepDeps } from "../../shared/pubsub-function.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { RolloutModelAdapters } from "./adapters.js";
import { recordReleaseOutcome } from "./release-outcome.js";
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
    run: async (message, context) => {
      const result = await rolloutModel(message, { ...adapters(context.runtime), ...stepDeps(context) });
      await recordReleaseOutcome(message, stepDeps(context));
      return result;
    },
  };
}
