import type { CommitStatuses } from "../../shared/github/ports.js";
import { Outcome } from "../../shared/ledger.js";
import { ReleasesAction } from "../../shared/ledger-actions.js";
import type { StepDefinition } from "../../shared/pubsub-function.js";
import { FunctionName, Topic } from "../../shared/topology.js";

/**
 * notifyGithub as a Pub/Sub step on `github-notifications`: the one place a step without the App key (rolloutModel)
 * reaches GitHub. Each notification is said once per kind, context and state.
 */
export function notifyGithubStep(
  github: () => CommitStatuses,
): StepDefinition<typeof Topic.githubNotifications> {
  return {
    name: FunctionName.notifyGithub,
    topic: Topic.githubNotifications,
    idempotencyKey: (m) => `${m.repository}@${m.commit}#${m.correlationId}/${m.kind}/${m.context}/${m.state}`,
    run: async (message, context) => {
      const { repository, commit, state, description } = message;
      await github().setStatus(repository, commit, {
        state,
        context: message.context,
        description,
        ...(message.targetUrl ? { targetUrl: message.targetUrl } : {}),
      });
      await context.record({
        action: ReleasesAction.commitStatusSet,
        outcome: Outcome.succeeded,
        details: { repository, state, context: message.context, targetUrl: message.targetUrl ?? null },
      });
    },
  };
}
