import { adaptedStep } from "../../shared/pubsub-function.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { RegisterModelAdapters } from "./adapters.js";
import { registerModel } from "./register-model.js";

/** registerModel as a Pub/Sub step on `artifact-ready`: one model version per model and commit. */
export const registerModelStep = adaptedStep<typeof Topic.artifactReady, RegisterModelAdapters>({
  name: FunctionName.registerModel,
  topic: Topic.artifactReady,
  idempotencyKey: (message) => `${message.model}@${message.commit}`,
  logic: registerModel,
});
