import { sameCommit } from "../../shared/commit.js";
import {
  type Cause,
  followUp,
  type GithubNotification,
  type VerificationCompleted,
} from "../../shared/contracts.js";
import { Outcome } from "../../shared/ledger.js";
import { ReleasesAction } from "../../shared/ledger-actions.js";
import { shortSha } from "../../shared/names.js";
import type { BlobStore, Publisher } from "../../shared/ports.js";
import type { TraceContext } from "../../shared/recorded-call.js";
import {
  type AppliedRelease,
  ReleaseState,
  readAppliedRelease,
  writeAppliedRelease,
} from "../../shared/releases/applied-release.js";
import { releaseStatusContext, reportLink } from "../../shared/releases/release-status.js";
import { Topic } from "../../shared/topology.js";

export interface ReleaseOutcomeDeps {
  blobs: BlobStore;
  publisher: Publisher;
  trace: TraceContext;
  cause: Cause;
  now?: () => Date;
}

/**
 * After a release's rollout ended (a verdict that carries `release`): `passed` when it finished at 100 %, not when it
 * rolled back from any step. The model's applied state becomes "serving" or "failed" with the reasons, and the
 * commit that declared it gets success or failure linking the report (through notifyGithub, which holds the App
 * key). A state that a newer declaration replaced is left alone.
 */
export async function recordReleaseOutcome(
  message: VerificationCompleted,
  passed: boolean,
  deps: ReleaseOutcomeDeps,
): Promise<void> {
  const declaredBy = message.release?.declaredBy;
  if (declaredBy === undefined) return;
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const stored = await readAppliedRelease(deps.blobs, message.model);
  const applied = stored?.applied;
  if (
    !stored ||
    !applied ||
    applied.declaredBy.commit !== declaredBy ||
    !sameCommit(applied.release.commit, message.commit)
  ) {
    await deps.trace.record({
      action: ReleasesAction.releaseSuperseded,
      outcome: Outcome.skipped,
      details: { declaredBy, appliedBy: applied?.declaredBy.commit ?? null },
    });
    return;
  }
  const reason = message.reasons.join("; ").slice(0, 2048);
  if (applied.state === ReleaseState.requested) {
    const { lastServing: _replaced, reason: _old, ...rest } = applied;
    const next: AppliedRelease = passed
      ? { ...rest, state: ReleaseState.serving, versionId: message.versionId, updatedAt: now }
      : { ...applied, state: ReleaseState.failed, reason, updatedAt: now };
    await writeAppliedRelease(deps.blobs, next, stored.generation);
  }
  const link = reportLink(message.reportUri);
  const notification: GithubNotification = {
    ...followUp(message, deps.cause, new Date(now)),
    commit: declaredBy,
    kind: "commit-status",
    state: passed ? "success" : "failure",
    context: releaseStatusContext(message.model),
    description: passed
      ? `${message.model} serves ${shortSha(message.commit)} (version ${message.versionId})`
      : `${message.model} stayed on its previous version: ${reason}`.slice(0, 1024),
    ...(link ? { targetUrl: link } : {}),
  };
  const messageId = await deps.publisher.publish(Topic.githubNotifications, notification);
  await deps.trace.record({
    action: ReleasesAction.releaseOutcomeRecorded,
    outcome: Outcome.succeeded,
    details: { declaredBy, state: passed ? ReleaseState.serving : ReleaseState.failed, messageId },
  });
}
