import { adaptedStep } from "../../shared/pubsub-function.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { RolloutModelAdapters } from "./adapters.js";
import { rolloutModel } from "./rollout-model.js";

/** rolloutModel as a Pub/Sub step on `verification-completed`: each verdict is acted on once. */
export const rolloutModelStep = adaptedStep<typeof Topic.verificationCompleted, RolloutModelAdapters>({
  name: FunctionName.rolloutModel,
  topic: Topic.verificationCompleted,
  idempotencyKey: (message) =>
    `${message.model}@${message.commit}#${message.correlationId}/${message.deployedModelId}/${message.verdict}`,
  logic: rolloutModel,
});
