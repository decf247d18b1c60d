import { createHash } from "node:crypto";
import type { GithubNotification } from "../../shared/contracts.js";
import { UpstreamError } from "../../shared/errors.js";
import type { CommitStatuses, GithubDeployments } from "../../shared/github/ports.js";
import { Outcome } from "../../shared/ledger.js";
import { GithubAction, ReleasesAction } from "../../shared/ledger-actions.js";
import type { StepContext, StepDefinition } from "../../shared/pubsub-function.js";
import { FunctionName, Topic } from "../../shared/topology.js";

type Github = CommitStatuses & GithubDeployments;
type Of<K extends GithubNotification["kind"]> = Extract<GithubNotification, { kind: K }>;

/**
 * What a notification is said once per: its commit status context, or its deployment's environment and step, and
 * what it says (a step is under way, then paused, in two statuses of one state; each step's verification passes).
 */
function subjectOf(m: GithubNotification): string {
  const said = createHash("sha256").update(m.description).digest("hex").slice(0, 12);
  if (m.kind === "commit-status") return `${m.context}/${said}`;
  return `${m.environment}/step-${m.rolloutStep ?? "-"}/${said}`;
}

async function setCommitStatus(github: Github, message: Of<"commit-status">, context: StepContext) {
  const { repository, commit, state, description } = message;
  await github.setStatus(repository, commit, {
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
}

async function setDeploymentStatus(github: Github, message: Of<"deployment-status">, context: StepContext) {
  const { repository, commit, state, description, environment } = message;
  const result = await github.setDeploymentStatus(
    repository,
    commit,
    {
      environment,
      task: `deploy:${message.model}`,
      rollout: message.correlationId,
      description: `${message.model}@${commit.slice(0, 12)} to ${environment}`,
    },
    { state, description, ...(message.logUrl ? { logUrl: message.logUrl } : {}) },
  );
  await context.record({
    action: result.written ? GithubAction.deploymentStatusSet : GithubAction.deploymentStatusStale,
    outcome: result.written ? Outcome.succeeded : Outcome.skipped,
    details: {
      repository,
      environment,
      state,
      rolloutStep: message.rolloutStep ?? null,
      deploymentId: result.deploymentId,
      created: result.created,
      ...(result.latest ? { latest: result.latest } : {}),
    },
  });
}

/**
 * notifyGithub as a Pub/Sub step on `github-notifications`: the one place a step without the App key reaches
 * GitHub. Each notification is said once per kind, subject and state.
 */
export function notifyGithubStep(github: () => Github): StepDefinition<typeof Topic.githubNotifications> {
  return {
    name: FunctionName.notifyGithub,
    topic: Topic.githubNotifications,
    idempotencyKey: (m) =>
      `${m.repository}@${m.commit}#${m.correlationId}/${m.kind}/${subjectOf(m)}/${m.state}`,
    run: async (message, context) => {
      try {
        await (message.kind === "commit-status"
          ? setCommitStatus(github(), message, context)
          : setDeploymentStatus(github(), message, context));
      } catch (error) {
        // GitHub does not know the repository (404) or the commit (422): nothing can be said about it there, and
        // the chain did not fail.
        if (!(error instanceof UpstreamError) || ![404, 422].includes(Number(error.details.status)))
          throw error;
        await context.record({
          action: GithubAction.notificationRefused,
          outcome: Outcome.skipped,
          details: { kind: message.kind, state: message.state, reason: error.message },
        });
      }
    },
  };
}
