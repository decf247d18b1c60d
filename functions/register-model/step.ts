import { type StepDefinition, stepDeps } from "../../shared/pubsub-function.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { RegisterModelAdapters } from "./adapters.js";
import { registerModel } from "./register-model.js";

/** registerModel as a Pub/Sub step on `artifact-ready`: one model version per model and commit. */
export function registerModelStep(
  adapters: (runtime: Runtime) => RegisterModelAdapters,
): StepDefinition<typeof Topic.artifactReady> {
  return {
    name: FunctionName.registerModel,
    topic: Topic.artifactReady,
    idempotencyKey: (message) => `${message.model}@${message.commit}`,
    run: (message, context) => registerModel(message, { ...adapters(context.runtime), ...stepDeps(context) }),
  };
}
