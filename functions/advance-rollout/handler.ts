import { type DeploymentReady, parseMessage } from "../../shared/contracts.js";
import { ValidationError } from "../../shared/errors.js";
import { unauthenticated } from "../../shared/ingress/authenticate.js";
import type { IngressDeps } from "../../shared/ingress/deps.js";
import { refuse } from "../../shared/ingress/early-answer.js";
import { type IngressHandler, IngressStatus, mediaType, respond } from "../../shared/ingress/http.js";
import { createIngressHandler } from "../../shared/ingress/pipeline.js";
import { Outcome } from "../../shared/ledger.js";
import { RolloutAction } from "../../shared/ledger-actions.js";
import { FunctionName, Topic } from "../../shared/topology.js";

/** The largest task body: one deployment-ready message (a few KiB). */
export const advanceRolloutMaxBodyBytes = 64 * 1024;

/**
 * advanceRollout's logic: the HTTP target of the Cloud Tasks task rolloutModel scheduled for a step's bake. Its body
 * is the step's `deployment-ready`, validated against that contract; once the bake is over it publishes it, so
 * verifyDeployment verifies the step. Who may call it is Cloud Run's business (run.invoker: only the queue's OIDC
 * identity), so the function itself authenticates nothing. Each (model, commit, request, step) is published once;
 * a task retried after a publish that went through is answered as a duplicate.
 */
export function createAdvanceRolloutHandler(deps: IngressDeps): IngressHandler {
  return createIngressHandler<DeploymentReady>(deps, {
    step: FunctionName.advanceRollout,
    what: "a rollout step's task",
    methodHint: "Cloud Tasks sends the step by POST",
    authenticate: unauthenticated,
    parse: (request) => {
      if (mediaType(request.headers) !== "application/json") {
        throw refuse(415, "the task body must be application/json");
      }
      try {
        return parseMessage(Topic.deploymentReady, JSON.parse(request.body.toString("utf8")));
      } catch (error) {
        const reason =
          error instanceof ValidationError ? error.message : `not JSON: ${(error as Error).message}`;
        throw refuse(400, reason);
      }
    },
    origin: (ready) => ({
      key: `${ready.model}@${ready.commit}#${ready.correlationId}/step-${ready.rolloutStep ?? 0}`,
      correlationId: ready.correlationId,
      cause: { source: "cloud-tasks", id: `${ready.correlationId}/step-${ready.rolloutStep ?? 0}` },
      details: { step: ready.rolloutStep ?? 0, canaryPercent: ready.canaryPercent },
      model: ready.model,
      commit: ready.commit,
    }),
    act: async (ready, context) => {
      const messageId = await deps.publisher.publish(Topic.deploymentReady, ready);
      await context.record({
        action: RolloutAction.stepPublished,
        outcome: Outcome.succeeded,
        details: { messageId, bakedUntil: context.now().toISOString() },
      });
      context.logger.info(
        `step ${ready.rolloutStep ?? 0} of ${ready.model}@${ready.commit} baked; verifying`,
      );
      return respond(200, IngressStatus.accepted, undefined, {
        published: [{ topic: Topic.deploymentReady, model: ready.model, commit: ready.commit, messageId }],
      });
    },
    answers: (ready) => ({
      duplicate: {
        reason: `step ${ready.rolloutStep ?? 0} of ${ready.model}@${ready.commit} was already handed to verification`,
        log: "the step was already published; acknowledging the repeat",
      },
      inProgress: {
        reason: "the step is being published right now",
        log: "another attempt is publishing the step",
      },
      failed: { reason: "a transient failure; the queue retries", log: "could not publish a rollout step" },
    }),
  });
}
