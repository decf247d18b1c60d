import { sameRepository } from "../../shared/commit.js";
import { type Config, promotionTagPattern } from "../../shared/config.js";
import { GlobBound, globMatcher } from "../../shared/glob.js";
import { isFullCommitSha } from "../../shared/ingress/branch-pushes.js";
import { unattributed } from "../../shared/ledger.js";
import { CommitSha } from "../../shared/names.js";
import { maxPushCommits, type PushPayload } from "./payloads.js";

/** What a push asks of one model. */
export type PushDecision =
  | { kind: "train"; model: string; repository: string; commit: string; ref: string; reason: string }
  | {
      kind: "promote";
      model: string;
      repository: string;
      commit: string;
      tag: string;
      /** The tag push's `after` and when GitHub says it happened: what a replay of it repeats. */
      after: string;
      pushedAt: Date;
    }
  | { kind: "refuse"; model: string; repository: string; commit: string; tag: string; reason: string }
  /** The push changed the releases file on a followed branch: apply it (for every model it names, so no `model`). */
  | {
      kind: "release";
      model: typeof unattributed;
      repository: string;
      commit: string;
      ref: string;
      reason: string;
    };

export interface PushRoute {
  decisions: PushDecision[];
  /** Why nothing (or nothing more) happened, one reason per model or for the whole push. */
  ignored: string[];
  /** The models whose followed branch this push moved to `commit`, whether or not it retrains them. */
  onBranch: Array<{ model: string; commit: string }>;
}

const branchPrefix = "refs/heads/";
const tagPrefix = "refs/tags/";

/**
 * Decides what a push means, as a pure function of the configuration and the payload: a push to a model's branch
 * that touches its paths retrains it; a tag matching a model's promotion pattern promotes the commit the tag points
 * at, if the sender may promote. Everything else is ignored with a reason.
 */
export function routePush(config: Config, push: PushPayload, now: Date): PushRoute {
  const repository = push.repository.full_name;
  const models = Object.entries(config.models).filter(([, model]) =>
    sameRepository(model.repository, repository),
  );
  if (models.length === 0) return ignore(`no model is configured for repository ${repository}`);
  if (push.ref.startsWith(branchPrefix)) {
    const route = routeBranch(models, push, push.ref.slice(branchPrefix.length));
    const release = routeReleasesFile(config.github.releasesFile, push, route);
    if (release) route.decisions.push(release);
    return route;
  }
  if (push.ref.startsWith(tagPrefix))
    return routeTag(config, models, push, push.ref.slice(tagPrefix.length), now);
  return ignore(`ref ${push.ref} is neither a branch nor a tag`);
}

type ModelEntry = [string, Config["models"][string]];

function routeBranch(models: ModelEntry[], push: PushPayload, branch: string): PushRoute {
  if (push.deleted) return ignore(`branch ${branch} was deleted`);
  const commit = push.head_commit?.id ?? push.after;
  if (!CommitSha.safeParse(commit).success) return ignore(`push to ${branch} has no head commit`);
  const changed = new Set(push.commits.flatMap((c) => [...c.added, ...c.modified, ...c.removed]));
  // GitHub lists at most 2048 commits; past that the file list is incomplete, so assume the paths were touched.
  const truncated = push.commits.length >= maxPushCommits;
  const route: PushRoute = { decisions: [], ignored: [], onBranch: [] };
  for (const [name, model] of models) {
    const followed = model.branch ?? push.repository.default_branch;
    if (branch !== followed) {
      route.ignored.push(`${name}: follows branch ${followed ?? "(default, unknown)"}, not ${branch}`);
      continue;
    }
    // GitHub always sends the full SHA; only that form can be matched later.
    if (isFullCommitSha(commit)) route.onBranch.push({ model: name, commit });
    const matches = globMatcher(model.paths, GlobBound.pathLength);
    const touched = [...changed].filter((path) => matches(path));
    if (touched.length === 0 && !truncated) {
      route.ignored.push(`${name}: no pushed commit touches ${model.paths.join(", ")}`);
      continue;
    }
    route.decisions.push({
      kind: "train",
      model: name,
      repository: model.repository,
      commit,
      ref: push.ref,
      reason: truncated
        ? `the push lists ${push.commits.length} commits (GitHub's limit), so its changed paths are incomplete`
        : `touches ${touched.slice(0, 5).join(", ")}${touched.length > 5 ? ", …" : ""}`,
    });
  }
  return route;
}

/**
 * A push to a branch some model follows (it moved `onBranch`) that adds, changes or removes the releases file, or
 * whose commit list GitHub truncated, applies the file at its head commit.
 */
function routeReleasesFile(path: string, push: PushPayload, route: PushRoute): PushDecision | undefined {
  const head = route.onBranch[0]?.commit;
  if (head === undefined) return undefined;
  const touched = push.commits.some((c) => [...c.added, ...c.modified, ...c.removed].includes(path));
  const truncated = push.commits.length >= maxPushCommits;
  if (!touched && !truncated) return undefined;
  return {
    kind: "release",
    model: unattributed,
    repository: push.repository.full_name,
    commit: head,
    ref: push.ref,
    reason: truncated
      ? "the push's commit list is truncated; the releases file may have changed"
      : `changes ${path}`,
  };
}

function routeTag(
  config: Config,
  models: ModelEntry[],
  push: PushPayload,
  tag: string,
  now: Date,
): PushRoute {
  if (push.deleted) return ignore(`tag ${tag} was deleted`);
  if (tag.length > GlobBound.refLength)
    return ignore(`a tag of ${tag.length} characters is longer than the ${GlobBound.refLength} matched`);
  // For an annotated tag `after` is the tag object, not a commit; head_commit is the commit it points to (and
  // equals `after` for a lightweight tag). A tag on a tree or blob has no head_commit and promotes nothing.
  const commit = push.head_commit?.id;
  if (commit === undefined || !CommitSha.safeParse(commit).success)
    return ignore(`tag ${tag} does not point to a commit`);
  const route: PushRoute = { decisions: [], ignored: [], onBranch: [] };
  const pushedAt = pushTime(push);
  for (const [name, model] of models) {
    const pattern = promotionTagPattern(config, name);
    if (!globMatcher(pattern, GlobBound.refLength)(tag)) {
      route.ignored.push(`${name}: tag ${tag} does not match ${pattern}`);
      continue;
    }
    route.decisions.push(decidePromotion(name, model, push, { commit, tag, pushedAt }, now));
  }
  return route;
}

/**
 * Whether a tag push promotes the model. Nobody promotes unless named in `promotion.promoters` (deny by default).
 * GitHub signs the body, not the delivery id, so a captured tag push can be sent again under a new id: one older
 * than `promotion.maxTagAgeMinutes` is refused here, a newer replay by the handler's record of the tag's latest push.
 */
function decidePromotion(
  name: string,
  model: ModelEntry[1],
  push: PushPayload,
  target: { commit: string; tag: string; pushedAt: Date | undefined },
  now: Date,
): PushDecision {
  const { commit, tag, pushedAt } = target;
  const refuse = (reason: string): PushDecision => ({
    kind: "refuse",
    model: name,
    repository: model.repository,
    commit,
    tag,
    reason,
  });
  const sender = push.sender?.login;
  const promoters = model.promotion.promoters.map((p) => p.toLowerCase());
  if (promoters.length === 0)
    return refuse(
      `${name} has no promoters configured (promotion.promoters), so its promotion tags are refused`,
    );
  if (sender === undefined || !promoters.includes(sender.toLowerCase()))
    return refuse(`${sender ?? "an unknown sender"} is not a promoter of ${name}`);
  if (pushedAt === undefined)
    return refuse("the push has no repository.pushed_at, so how old the promotion is cannot be told");
  const ageMinutes = (now.getTime() - pushedAt.getTime()) / 60_000;
  const maxAge = model.promotion.maxTagAgeMinutes;
  if (ageMinutes > maxAge) {
    return refuse(
      `the tag was pushed at ${pushedAt.toISOString()}, ${Math.floor(ageMinutes)} minutes ago; promotions older than ${maxAge} minutes (promotion.maxTagAgeMinutes) are refused as replayed or late: push the tag again`,
    );
  }
  return {
    kind: "promote",
    model: name,
    repository: model.repository,
    commit,
    tag,
    after: push.after,
    pushedAt,
  };
}

/** When the push happened by GitHub's clock: `repository.pushed_at`, Unix seconds in push events. */
function pushTime(push: PushPayload): Date | undefined {
  const value = push.repository.pushed_at;
  if (value === undefined) return undefined;
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function ignore(reason: string): PushRoute {
  return { decisions: [], ignored: [reason], onBranch: [] };
}
