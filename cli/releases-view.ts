import { sameCommit } from "../shared/commit.js";
import { type AppliedRelease, servingRelease } from "../shared/releases/applied-release.js";
import type { ServingRow } from "./status-view.js";

/** One model's declared release against what its endpoint serves. */
export interface ReleaseStatus {
  model: string;
  declared: {
    commit: string;
    tag?: string;
    versionId?: string;
    state: AppliedRelease["state"];
    reason?: string;
    declaredBy: string;
    /** The release that should serve now: the declared one once serving, else the last that served. */
    serving?: string;
  } | null;
  actual: { commit: string; versionId: string; percent: number }[];
  /** The version the `production` alias names, if known. */
  productionAlias: string | null;
  /** What differs, in words; empty when declared and actual agree. */
  differences: string[];
}

/**
 * Compares a model's applied release with its endpoint: the declared release must be serving, at 100 % on one
 * deployed model, with the `production` alias on its version. Nothing declared compares equal to anything.
 */
export function compareRelease(
  model: string,
  applied: AppliedRelease | null,
  rows: ServingRow[],
  productionAlias: string | null,
): ReleaseStatus {
  const actual = rows.map(({ commit, versionId, percent }) => ({ commit, versionId, percent }));
  if (!applied) return { model, declared: null, actual, productionAlias, differences: [] };
  const serving = servingRelease(applied);
  const declared = {
    commit: applied.release.commit,
    ...(applied.release.tag ? { tag: applied.release.tag } : {}),
    ...(applied.versionId ? { versionId: applied.versionId } : {}),
    state: applied.state,
    ...(applied.reason ? { reason: applied.reason } : {}),
    declaredBy: applied.declaredBy.commit,
    ...(serving ? { serving: serving.release.commit } : {}),
  };
  const differences: string[] = [];
  const top = actual[0];
  if (applied.state === "requested")
    differences.push(`release ${short(applied.release.commit)} is being applied`);
  if (applied.state === "failed") {
    differences.push(
      `release ${short(applied.release.commit)} failed: ${applied.reason ?? "no reason recorded"}`,
    );
  }
  const expected = serving?.release.commit;
  if (expected && (!top || !sameCommit(top.commit, expected))) {
    differences.push(`should serve ${short(expected)}, serves ${top ? short(top.commit) : "nothing"}`);
  }
  if (actual.length > 1 || (top && top.percent !== 100)) {
    differences.push(`traffic is split: ${actual.map((a) => `${short(a.commit)} ${a.percent}%`).join(", ")}`);
  }
  if (top && productionAlias !== top.versionId) {
    differences.push(`the production alias names version ${productionAlias ?? "none"}, not ${top.versionId}`);
  }
  return { model, declared, actual, productionAlias, differences };
}

const short = (commit: string) => commit.slice(0, 12);

/** The text form of `modelgate releases status`. */
export function renderReleaseStatus(status: ReleaseStatus): string {
  const lines = [`${status.model}  ${status.differences.length === 0 ? "in sync" : "DIFFERS"}`];
  const d = status.declared;
  lines.push(
    d
      ? `  declared  ${short(d.commit)}${d.tag ? ` (${d.tag})` : ""}  version ${d.versionId ?? "?"}  ${d.state}  by ${short(d.declaredBy)}`
      : "  declared  (no release applied)",
  );
  const serving = status.actual.map((a) => `${short(a.commit)} v${a.versionId} ${a.percent}%`).join(", ");
  lines.push(
    `  serving   ${serving || "(nothing deployed)"}  alias production → ${status.productionAlias ?? "none"}`,
  );
  for (const difference of status.differences) lines.push(`  ! ${difference}`);
  return `${lines.join("\n")}\n`;
}
