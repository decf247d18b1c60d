import { findModelConfig } from "../../shared/config.js";
import { ConfigError } from "../../shared/errors.js";
import type { StepDefinition } from "../../shared/pubsub-function.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { VerifyAdapters } from "./adapters.js";
import { verifyDeployment } from "./verify-deployment.js";

/** verifyDeployment as a Pub/Sub step on `deployment-ready`: one verification per deployment request. */
export function verifyDeploymentStep(
  adapters: (runtime: Runtime) => VerifyAdapters,
  options: { sleep?: (attempt: number) => Promise<void>; now?: () => Date } = {},
): StepDefinition<typeof Topic.deploymentReady> {
  return {
    name: FunctionName.verifyDeployment,
    topic: Topic.deploymentReady,
    // One verification per deployment request: a later promotion of the same commit (same deployed model id)
    // is a new request with a new correlation id, and must be verified again.
    idempotencyKey: (message) =>
      `${message.model}@${message.commit}#${message.correlationId}/${message.deployedModelId}`,
    run: (message, context) => {
      const { runtime } = context;
      const model = findModelConfig(runtime.config, message.model);
      if (!model) {
        throw new ConfigError(`model "${message.model}" is not configured (models.${message.model})`);
      }
      return verifyDeployment(message, model.verification, {
        ...adapters(runtime),
        blobs: runtime.blobs,
        publisher: runtime.publisher,
        record: context.record,
        logger: context.logger,
        cause: context.cause,
        ...options,
      });
    },
  };
}
