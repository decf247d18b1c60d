import type { ReleasesRequested } from "../../shared/contracts.js";
import { ValidationError } from "../../shared/errors.js";
import type { CommitProvenance } from "../../shared/github/ports.js";
import { Outcome, unattributed } from "../../shared/ledger.js";
import { ReleasesAction } from "../../shared/ledger-actions.js";
import { ModelName } from "../../shared/names.js";
import type { StepLogicDeps } from "../../shared/pubsub-function.js";
import { releaseStatusContext, releasesFileStatusContext } from "../../shared/releases/release-status.js";
import {
  type EntryProblem,
  parseReleasesFile,
  releasesFileMaxBytes,
} from "../../shared/releases/releases-file.js";
import type { ApplyReleasesAdapters } from "./adapters.js";
import { type ApplyStatus, applyRelease } from "./apply-release.js";
import { isResolved, resolveEntry } from "./resolve-entry.js";

/** What applyReleases needs: GitHub (as the App), the bucket, a publisher, the configuration and a trace. */
export interface ApplyReleasesDeps extends ApplyReleasesAdapters, StepLogicDeps {}

export interface ApplyReleasesResult {
  /** Per model: requested or unchanged. */
  applied: Record<string, ApplyStatus>;
  problems: EntryProblem[];
}

/**
 * Applies the releases file at a repository commit: reads it from GitHub, checks each entry (configured model of
 * this repository, a tag that exists, a registered commit) and requests a deployment for each release that changed.
 * Every bad entry is recorded in the ledger and reported as a failed commit status naming it, while the good ones
 * apply; a file that cannot be read as a releases file is one failed status. A commit without the file applies
 * nothing and says so in the ledger.
 */
export async function applyReleases(
  message: ReleasesRequested,
  deps: ApplyReleasesDeps,
): Promise<ApplyReleasesResult> {
  const path = deps.config.github.releasesFile;
  const result: ApplyReleasesResult = { applied: {}, problems: [] };
  let file: ReturnType<typeof parseReleasesFile>;
  try {
    // An oversized file, or a directory at the path, is refused like a file that does not parse.
    const text = await deps.github.readFile(message.repository, path, message.commit, releasesFileMaxBytes);
    if (text === null) {
      await deps.trace.record({
        action: ReleasesAction.fileMissing,
        outcome: Outcome.ignored,
        details: { path },
      });
      return result;
    }
    file = parseReleasesFile(text, path);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    await refuse({ entry: path, message: error.message }, message, deps, releasesFileStatusContext);
    result.problems.push({ entry: path, message: error.message });
    return result;
  }
  await deps.trace.record({
    action: ReleasesAction.releasesRequestReceived,
    outcome: Outcome.accepted,
    details: {
      path,
      trigger: message.trigger,
      entries: file.entries.map((e) => e.model),
      problems: file.problems.length,
    },
  });
  let provenance: Promise<CommitProvenance> | undefined;
  const applyDeps = {
    ...deps,
    statuses: deps.github,
    now: deps.now ?? (() => new Date()),
    provenance: () => {
      provenance ??= deps.github.provenance(message.repository, message.commit);
      return provenance;
    },
  };
  result.problems.push(...file.problems);
  for (const entry of file.entries) {
    const resolved = await resolveEntry(entry, message.repository, deps);
    if (isResolved(resolved)) result.applied[entry.model] = await applyRelease(resolved, message, applyDeps);
    else result.problems.push(resolved);
  }
  for (const problem of result.problems)
    await refuse(problem, message, deps, releaseStatusContext(problem.entry));
  return result;
}

/** Records a problem (under its model when the entry names one) and reports it as a failed commit status. */
async function refuse(
  problem: EntryProblem,
  message: ReleasesRequested,
  deps: ApplyReleasesDeps,
  context: string,
): Promise<void> {
  const isModel = ModelName.safeParse(problem.entry).success && problem.entry in deps.config.models;
  await deps.trace.record({
    model: isModel ? problem.entry : unattributed,
    action:
      context === releasesFileStatusContext ? ReleasesAction.fileRefused : ReleasesAction.releaseRefused,
    outcome: Outcome.refused,
    details: { entry: problem.entry, declaredBy: message.commit },
    error: { message: problem.message },
  });
  deps.trace.logger.warn(`release refused: ${problem.message}`, { entry: problem.entry });
  await deps.github.setStatus(message.repository, message.commit, {
    state: "failure",
    context,
    description: problem.message,
  });
}
