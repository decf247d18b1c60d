import { type StepDefinition, stepDeps } from "../../shared/pubsub-function.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { RolloutModelAdapters } from "./adapters.js";
import { recordReleaseOutcome } from "./release-outcome.js";
import { rolloutModel } from "./rollout-model.js";

/**
 * rolloutModel as a Pub/Sub step on `verification-completed`: each verdict at each rollout step is acted on once,
 * and a person's promote or abort of it once more.
 */
export function rolloutModelStep(
  adapters: (runtime: Runtime) => RolloutModelAdapters,
  options: { now?: () => Date } = {},
): StepDefinition<typeof Topic.verificationCompleted> {
  return {
    name: FunctionName.rolloutModel,
    topic: Topic.verificationCompleted,
    idempotencyKey: (message) =>
      `${message.model}@${message.commit}#${message.correlationId}/${message.deployedModelId}/${message.verdict}` +
      (message.rolloutStep ? `/step-${message.rolloutStep}` : "") +
      (message.resume ? `/${message.resume.action}` : ""),
    run: async (message, context) => {
      const result = await rolloutModel(message, {
        ...adapters(context.runtime),
        ...stepDeps(context),
        ...options,
      });
      // A release's outcome is the rollout's end: a pass at an earlier step, or a pause, decides nothing yet.
      if (result.move === "finish" || result.move === "roll-back") {
        await recordReleaseOutcome(message, result.move === "finish", stepDeps(context));
      }
      return result;
    },
  };
}
