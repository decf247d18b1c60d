import type { Config } from "../../shared/config.js";
import type { Cause, DeploymentRequested, ReleasesRequested } from "../../shared/contracts.js";
import type { CommitProvenance, CommitStatuses } from "../../shared/github/ports.js";
import { Outcome } from "../../shared/ledger.js";
import { ReleasesAction } from "../../shared/ledger-actions.js";
import { shortSha } from "../../shared/names.js";
import type { BlobStore, Publisher } from "../../shared/ports.js";
import type { TraceContext } from "../../shared/recorded-call.js";
import {
  type AppliedRelease,
  ReleaseState,
  readAppliedRelease,
  servingRelease,
  writeAppliedRelease,
} from "../../shared/releases/applied-release.js";
import { releaseStatusContext } from "../../shared/releases/release-status.js";
import { Topic } from "../../shared/topology.js";
import type { ResolvedRelease } from "./resolve-entry.js";

export interface ApplyReleaseDeps {
  blobs: BlobStore;
  publisher: Publisher;
  statuses: CommitStatuses;
  config: Config;
  trace: TraceContext;
  cause: Cause;
  now: () => Date;
  /** The declaring commit's author and pull request, read from GitHub once per request. */
  provenance: () => Promise<CommitProvenance>;
}

export const ApplyStatus = {
  requested: "requested",
  unchanged: "unchanged",
  /** The release that serves already (a revert after a failed release): recorded as applied, nothing deployed. */
  alreadyServing: "already-serving",
} as const;
export type ApplyStatus = (typeof ApplyStatus)[keyof typeof ApplyStatus];

/**
 * Applies one resolved release: unchanged against `releases/<model>.json` (same commit and canary share) → nothing;
 * else the applied state becomes "requested" (the release that served kept as `lastServing`), a deployment is
 * requested with reason `release`, and the declaring commit gets a pending status. A repeat of this same request
 * whose state was written requests the deployment again (deployModel makes that harmless).
 */
export async function applyRelease(
  resolved: ResolvedRelease,
  message: ReleasesRequested,
  deps: ApplyReleaseDeps,
): Promise<ApplyStatus> {
  const { model, release } = resolved;
  const stored = await readAppliedRelease(deps.blobs, model);
  const current = stored?.applied;
  const same =
    current !== undefined &&
    current.release.commit === release.commit &&
    current.release.canaryPercent === release.canaryPercent;
  const repeat =
    same && current.state === ReleaseState.requested && current.declaredBy.commit === message.commit;
  if (same && !repeat) {
    await deps.trace.record({
      model,
      commit: release.commit,
      action: ReleasesAction.releaseUnchanged,
      outcome: Outcome.skipped,
      details: { declaredBy: message.commit, state: current.state, appliedBy: current.declaredBy.commit },
    });
    return ApplyStatus.unchanged;
  }
  const lastServing = current ? servingRelease(current) : undefined;
  const serves = !repeat && lastServing !== undefined && lastServing.release.commit === release.commit;
  if (!repeat) {
    const { author, pullRequest } = await deps.provenance();
    const at = deps.now().toISOString();
    const applied: AppliedRelease = {
      schemaVersion: 1,
      model,
      release,
      declaredBy: {
        repository: message.repository,
        commit: message.commit,
        path: deps.config.github.releasesFile,
        trigger: message.trigger,
        ...(author ? { author } : {}),
        ...(pullRequest ? { pullRequest } : {}),
        at,
      },
      state: serves ? ReleaseState.serving : ReleaseState.requested,
      versionId: resolved.versionId,
      updatedAt: at,
      ...(lastServing && !serves ? { lastServing } : {}),
    };
    await writeAppliedRelease(deps.blobs, applied, stored?.generation ?? "0");
  }
  if (serves) return alreadyServing(resolved, message, deps);
  const request: DeploymentRequested = {
    schemaVersion: 1,
    correlationId: message.correlationId,
    model,
    commit: release.commit,
    repository: message.repository,
    causedBy: [deps.cause],
    createdAt: deps.now().toISOString(),
    reason: "release",
    ...(release.tag ? { tag: release.tag } : {}),
    ...(message.requestedBy ? { requestedBy: message.requestedBy } : {}),
    ...(release.canaryPercent ? { canaryPercent: release.canaryPercent } : {}),
    release: { declaredBy: message.commit },
  };
  const messageId = await deps.publisher.publish(Topic.deploymentRequested, request);
  await deps.trace.record({
    model,
    commit: release.commit,
    action: ReleasesAction.releaseRequested,
    outcome: Outcome.succeeded,
    details: { messageId, declaredBy: message.commit, release, versionId: resolved.versionId, repeat },
  });
  await deps.statuses.setStatus(message.repository, message.commit, {
    state: "pending",
    context: releaseStatusContext(model),
    description: `deploying ${model} at ${shortSha(release.commit)} (version ${resolved.versionId})`,
  });
  return ApplyStatus.requested;
}

/** The declared release is the one serving: the declaration is recorded and reported, nothing is deployed. */
async function alreadyServing(
  { model, release, versionId }: ResolvedRelease,
  message: ReleasesRequested,
  deps: ApplyReleaseDeps,
): Promise<ApplyStatus> {
  await deps.trace.record({
    model,
    commit: release.commit,
    action: ReleasesAction.releaseAlreadyServing,
    outcome: Outcome.skipped,
    details: { declaredBy: message.commit, release, versionId },
  });
  await deps.statuses.setStatus(message.repository, message.commit, {
    state: "success",
    context: releaseStatusContext(model),
    description: `${model} already serves ${shortSha(release.commit)} (version ${versionId})`,
  });
  return ApplyStatus.alreadyServing;
}
