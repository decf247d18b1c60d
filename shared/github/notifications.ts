import type { Config } from "../config.js";
import {
  type Cause,
  type DeploymentState,
  followUp,
  type GithubNotification,
  type MessageEnvelope,
} from "../contracts.js";
import { Outcome } from "../ledger.js";
import { GithubAction } from "../ledger-actions.js";
import { FullCommitSha } from "../names.js";
import type { Publisher } from "../ports.js";
import type { TraceContext } from "../recorded-call.js";
import { reportLink } from "../releases/release-status.js";
import { Topic } from "../topology.js";

/** What a step needs to ask notifyGithub (the one function with the App key) to tell GitHub something. */
export interface GithubNotifyDeps {
  publisher: Publisher;
  config: Pick<Config, "github">;
  trace: Pick<TraceContext, "record">;
  cause: Cause;
  now?: () => Date;
}

/** The message a step is handling: whose model, commit and rollout the notification is about. */
export type NotificationSubject = Pick<MessageEnvelope, "correlationId" | "model" | "commit" | "repository">;

type WithoutEnvelope<T> = T extends unknown ? Omit<T, keyof MessageEnvelope> : never;
/** A notification without the envelope (`followUp` of the subject) that notifyGithubAbout adds. */
export type NotificationBody = WithoutEnvelope<GithubNotification>;

/** Why a notification cannot be told to GitHub, or undefined when it can. */
function skipReason(subject: NotificationSubject, config: Pick<Config, "github">): string | undefined {
  if (!config.github.app) return "github.app is not configured: GitHub is not told (docs/releases.md)";
  if (!FullCommitSha.safeParse(subject.commit).success) {
    return `${subject.commit} is not a full commit SHA: GitHub's statuses and deployments need one`;
  }
  return undefined;
}

/**
 * Publishes a notification about `subject` to `github-notifications` for notifyGithub. Without a GitHub App
 * configured (or without a full SHA to address), it is skipped with one ledger record: GitHub is optional, the
 * chain does not fail for it.
 */
export async function notifyGithubAbout(
  subject: NotificationSubject,
  body: NotificationBody,
  deps: GithubNotifyDeps,
): Promise<void> {
  const details = { kind: body.kind, state: body.state, description: body.description };
  const skipped = skipReason(subject, deps.config);
  if (skipped) {
    await deps.trace.record({
      action: GithubAction.notificationSkipped,
      outcome: Outcome.skipped,
      details: { ...details, reason: skipped },
    });
    return;
  }
  const now = (deps.now ?? (() => new Date()))();
  const notification = { ...followUp(subject, deps.cause, now), ...body } as GithubNotification;
  const messageId = await deps.publisher.publish(Topic.githubNotifications, notification);
  await deps.trace.record({
    action: GithubAction.notificationRequested,
    outcome: Outcome.succeeded,
    details: { ...details, messageId },
  });
}

/** The browser address of a report's HTML page, from its JSON's gs:// URI (or of the object itself). */
export function reportPage(reportUri: string): string | undefined {
  return reportLink(reportUri.replace(/\/report\.json$/, "/report.html"));
}

/** The commit status contexts modelgate sets besides a release's: a model's training and its verification. */
export const statusContext = {
  training: (model: string) => `modelgate/training/${model}`,
  verification: (model: string) => `modelgate/verification/${model}`,
};

/** A commit status, linking the report when there is one. */
export function commitStatus(
  context: string,
  state: "pending" | "success" | "failure" | "error",
  description: string,
  reportUri?: string,
): NotificationBody {
  const link = reportUri ? reportPage(reportUri) : undefined;
  return {
    kind: "commit-status",
    context,
    state,
    description: description.slice(0, 1024),
    ...(link ? { targetUrl: link } : {}),
  };
}

/**
 * The GitHub environment of an endpoint: its id, the last part of its resource name (`fraud-detector`), as people
 * name it; a repository's models are served from one project.
 */
export function environmentOf(endpoint: string): string {
  return endpoint.split("/").at(-1) || endpoint;
}

/** A status of the rollout's GitHub deployment to `endpoint`, linking the report when there is one. */
export function deploymentStatus(
  endpoint: string,
  state: DeploymentState,
  description: string,
  options: { rolloutStep?: number; reportUri?: string } = {},
): NotificationBody {
  const link = options.reportUri ? reportPage(options.reportUri) : undefined;
  return {
    kind: "deployment-status",
    environment: environmentOf(endpoint),
    state,
    description: description.slice(0, 1024),
    ...(options.rolloutStep === undefined ? {} : { rolloutStep: options.rolloutStep }),
    ...(link ? { logUrl: link } : {}),
  };
}

/** The in_progress status of a rollout step under way: which step of how many, at what share. */
export function stepUnderWay(
  endpoint: string,
  step: { index: number; of: number; percent: number },
  note: string,
  reportUri?: string,
): NotificationBody {
  const said = `step ${step.index + 1} of ${step.of}: ${step.percent} % of the traffic, ${note}`;
  return deploymentStatus(endpoint, "in_progress", said, {
    rolloutStep: step.index,
    ...(reportUri ? { reportUri } : {}),
  });
}
