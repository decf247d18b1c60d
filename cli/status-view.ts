import type { LedgerEntry } from "../shared/ledger.js";
import { VerifyAction } from "../shared/ledger-actions.js";
import type { EndpointState } from "../shared/model-ports.js";
import type { RegistryIndexEntry } from "../shared/registry-index.js";

export interface ServingRow {
  deployedModelId: string;
  versionId: string;
  commit: string;
  percent: number;
  verdict: string;
}

/** What an endpoint serves: each deployed model with its version, commit, traffic share and last verdict. */
export function servingRows(
  state: EndpointState,
  versions: RegistryIndexEntry[],
  verdictOf: (commit: string) => string,
): ServingRow[] {
  return state.deployedModels
    .map((deployed) => {
      const commit = versions.find((v) => v.versionId === deployed.versionId)?.commit ?? "?";
      return {
        deployedModelId: deployed.id,
        versionId: deployed.versionId,
        commit,
        percent: state.trafficSplit[deployed.id] ?? 0,
        verdict: commit === "?" ? "-" : verdictOf(commit),
      };
    })
    .sort((a, b) => b.percent - a.percent);
}

/** The last verification verdict recorded in a commit's ledger, or "-" when it was never verified. */
export function lastVerdict(entries: LedgerEntry[]): string {
  const verdicts = entries.filter(
    (e) => e.action === VerifyAction.verificationCompleted && typeof e.details?.verdict === "string",
  );
  return (verdicts.at(-1)?.details?.verdict as string | undefined) ?? "-";
}

/** A fixed-width table for one endpoint. */
export function renderStatus(model: string, endpoint: string, rows: ServingRow[]): string {
  const head = `${model}  →  ${endpoint}`;
  if (rows.length === 0) return `${head}\n  (nothing deployed)\n`;
  const lines = [
    `  ${"traffic".padEnd(8)}${"version".padEnd(9)}${"commit".padEnd(14)}${"deployed model".padEnd(16)}last verdict`,
    ...rows.map(
      (r) =>
        `  ${`${r.percent}%`.padEnd(8)}${r.versionId.padEnd(9)}${r.commit.slice(0, 12).padEnd(14)}${r.deployedModelId.padEnd(16)}${r.verdict}`,
    ),
  ];
  return `${head}\n${lines.join("\n")}\n`;
}
