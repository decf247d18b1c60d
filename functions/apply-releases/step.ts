import { Outcome } from "../../shared/ledger.js";
import { ReleasesAction } from "../../shared/ledger-actions.js";
import type { StepDefinition } from "../../shared/pubsub-function.js";
import { FunctionName, Topic } from "../../shared/topology.js";

/**
 * applyReleases as a Pub/Sub step on `releases-requested`: one application per repository commit and request.
 * For now it records the validated request (the interface of issue #16); the step that reads the releases file
 * and requests deployments replaces this run.
 */
export function applyReleasesStep(): StepDefinition<typeof Topic.releasesRequested> {
  return {
    name: FunctionName.applyReleases,
    topic: Topic.releasesRequested,
    idempotencyKey: (message) => `${message.repository}@${message.commit}#${message.correlationId}`,
    run: async (message, context) => {
      await context.record({
        action: ReleasesAction.releasesRequestReceived,
        outcome: Outcome.accepted,
        details: { repository: message.repository, trigger: message.trigger },
      });
    },
  };
}
