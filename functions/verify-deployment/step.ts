import { findModelConfig } from "../../shared/config.js";
import { ConfigError } from "../../shared/errors.js";
import { notifyGithubAbout } from "../../shared/github/notifications.js";
import { type StepDefinition, stepDeps } from "../../shared/pubsub-function.js";
import { rolloutConfidence, rolloutStep } from "../../shared/rollout-plan.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { VerifyAdapters } from "./adapters.js";
import { verificationStatus } from "./github-status.js";
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
    // is a new request with a new correlation id, and must be verified again; each rollout step once.
    idempotencyKey: (message) =>
      `${message.model}@${message.commit}#${message.correlationId}/${message.deployedModelId}` +
      (message.rolloutStep ? `/step-${message.rolloutStep}` : ""),
    run: async (message, context) => {
      const { runtime } = context;
      const model = findModelConfig(runtime.config, message.model);
      if (!model) {
        throw new ConfigError(`model "${message.model}" is not configured (models.${message.model})`);
      }
      const step = rolloutStep(model, message.model, message.rolloutStep ?? 0);
      const confidence = rolloutConfidence(model);
      const settings = {
        ...model.verification,
        ...(step.sampleSize === undefined ? {} : { sampleSize: step.sampleSize }),
        ...(confidence === undefined ? {} : { confidence }),
      };
      const outcome = await verifyDeployment(message, settings, {
        ...adapters(runtime),
        blobs: runtime.blobs,
        publisher: runtime.publisher,
        record: context.record,
        logger: context.logger,
        cause: context.cause,
        ...options,
      });
      await notifyGithubAbout(message, verificationStatus(message, outcome), stepDeps(context));
      return outcome;
    },
  };
}
