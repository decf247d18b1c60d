import { sameCommit, sameRepository } from "../../shared/commit.js";
import type { Config } from "../../shared/config.js";
import type { GithubRepositories } from "../../shared/github/ports.js";
import type { BlobStore } from "../../shared/ports.js";
import { readRegistryIndex } from "../../shared/registry-index.js";
import type { DeclaredRelease } from "../../shared/releases/applied-release.js";
import type { EntryProblem, ReleaseEntry } from "../../shared/releases/releases-file.js";

export interface ResolveDeps {
  config: Config;
  blobs: BlobStore;
  github: GithubRepositories;
}

/** An entry ready to apply: its model, the release with the tag resolved, and the version the commit became. */
export interface ResolvedRelease {
  model: string;
  release: DeclaredRelease;
  versionId: string;
}

/**
 * Checks one entry against the configuration, GitHub and the registry index: a configured model of this repository,
 * a tag that names a commit, a commit that was registered. Each failure is a problem naming the entry.
 */
export async function resolveEntry(
  entry: ReleaseEntry,
  repository: string,
  deps: ResolveDeps,
): Promise<ResolvedRelease | EntryProblem> {
  const problem = (message: string): EntryProblem => ({ entry: entry.model, message });
  const model = deps.config.models[entry.model];
  if (!model) return problem(`releases.${entry.model}: no model "${entry.model}" is configured`);
  if (!sameRepository(model.repository, repository)) {
    return problem(
      `releases.${entry.model}: the model's repository is ${model.repository}, not ${repository}`,
    );
  }
  let commit = entry.commit;
  if (entry.tag !== undefined) {
    commit = (await deps.github.resolveCommit(repository, `tags/${entry.tag}`)) ?? undefined;
    if (commit === undefined)
      return problem(`releases.${entry.model}: tag "${entry.tag}" does not exist in ${repository}`);
  }
  if (commit === undefined) return problem(`releases.${entry.model}: no commit`);
  const { index } = await readRegistryIndex(deps.blobs, entry.model);
  const registered = index.versions.find((line) => sameCommit(line.commit, commit));
  if (!registered) {
    return problem(
      `releases.${entry.model}: commit ${commit} was never registered as a version of ${entry.model}`,
    );
  }
  return {
    model: entry.model,
    versionId: registered.versionId,
    release: {
      commit,
      ...(entry.tag === undefined ? {} : { tag: entry.tag }),
      ...(entry.canary === undefined ? {} : { canaryPercent: entry.canary }),
    },
  };
}

/** True for a resolved entry, false for a problem. */
export function isResolved(value: ResolvedRelease | EntryProblem): value is ResolvedRelease {
  return "release" in value;
}
