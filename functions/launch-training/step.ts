import { type StepDefinition, stepDeps } from "../../shared/pubsub-function.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { LaunchTrainingAdapters } from "./adapters.js";
import { launchTraining } from "./launch-training.js";

/**
 * launchTraining as a Pub/Sub step on `training-requested`: one training job per model and commit, and one more
 * per explicit retrain attempt (`modelgate retrain`).
 */
export function launchTrainingStep(
  adapters: (runtime: Runtime) => LaunchTrainingAdapters,
): StepDefinition<typeof Topic.trainingRequested> {
  return {
    name: FunctionName.launchTraining,
    topic: Topic.trainingRequested,
    idempotencyKey: (message) =>
      `${message.model}@${message.commit}${message.retrain === undefined ? "" : `#retrain-${message.retrain}`}`,
    run: (message, context) =>
      launchTraining(message, { ...adapters(context.runtime), ...stepDeps(context) }),
  };
}
