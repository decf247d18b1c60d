import type { LedgerEntry } from "../shared/ledger.js";
import { readOnlyActions } from "../shared/ledger-actions.js";

/** Detail fields worth showing in a lineage line, in the order a reader follows the chain. */
const highlights = [
  // A release (shared/ledger-actions.ts ReleasesAction): which entry, the commit that declared it, its state.
  "entry",
  "declaredBy",
  "release",
  "state",
  "job",
  "jobName",
  "jobState",
  "modelResource",
  "versionId",
  "aliases",
  "endpoint",
  "deployedModelId",
  "canaryPercent",
  "trafficSplit",
  "verdict",
  "reasons",
  "reportUri",
  "messageId",
  "reason",
  "object",
  // A rollout in steps: which step, when its task runs, and who promoted or aborted it when.
  "step",
  "scheduleTime",
  "resume",
  "by",
] as const;

/** Fields of a recorded Vertex AI response worth showing: the resource it made or changed. */
const responseHighlights = ["name", "state", "model", "modelVersionId", "deployedModelId"] as const;

/** Reads and lists (`endpoint-read`, `custom-jobs-listed`, `parent-model-found`) change nothing: hidden unless asked. */
export function isReadOnly(entry: LedgerEntry): boolean {
  return (readOnlyActions as readonly string[]).includes(entry.action);
}

export interface CommitLineage {
  commit: string;
  entries: LedgerEntry[];
}

/** Groups ledger entries by commit, oldest commit activity first. */
export function groupByCommit(entries: LedgerEntry[]): CommitLineage[] {
  const byCommit = new Map<string, LedgerEntry[]>();
  for (const entry of entries) {
    const list = byCommit.get(entry.commit) ?? [];
    list.push(entry);
    byCommit.set(entry.commit, list);
  }
  return [...byCommit.entries()]
    .map(([commit, list]) => ({ commit, entries: list.sort((a, b) => (a.at < b.at ? -1 : 1)) }))
    .sort((a, b) => ((a.entries[0]?.at ?? "") < (b.entries[0]?.at ?? "") ? -1 : 1));
}

/** A readable tree: one block per commit, one line per step with time, outcome, identity and key details. */
export function renderLineage(model: string, lineages: CommitLineage[]): string {
  if (lineages.length === 0) return `no ledger records for model ${model}\n`;
  const lines: string[] = [`${model}`];
  lineages.forEach((lineage, i) => {
    const lastCommit = i === lineages.length - 1;
    const first = lineage.entries[0];
    const repo = first ? `  correlation ${first.correlationId}` : "";
    lines.push(`${lastCommit ? "└─" : "├─"} commit ${lineage.commit}${repo}`);
    lineage.entries.forEach((entry, j) => {
      const last = j === lineage.entries.length - 1;
      const stem = `${lastCommit ? "   " : "│  "}${last ? "└─" : "├─"}`;
      const mark = entry.outcome === "failed" || entry.outcome === "refused" ? "✗" : "✓";
      const who = entry.identity ? `  as ${entry.identity}` : "";
      lines.push(`${stem} ${entry.at}  ${mark} ${entry.step} · ${entry.action} (${entry.outcome})${who}`);
      const detail = summarise(entry);
      if (detail) lines.push(`${lastCommit ? "   " : "│  "}${last ? "  " : "│ "}    ${detail}`);
    });
  });
  return `${lines.join("\n")}\n`;
}

function summarise(entry: LedgerEntry): string {
  const parts: string[] = [];
  const details = entry.details ?? {};
  for (const key of highlights) {
    const value = details[key];
    if (value === undefined || value === null) continue;
    parts.push(`${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  const response = details.response;
  if (response && typeof response === "object") {
    const fields = response as Record<string, unknown>;
    for (const key of responseHighlights) {
      const value = fields[key];
      if (typeof value === "string" && value !== "") parts.push(`${key}=${value}`);
    }
    const deployed = fields.deployedModel as Record<string, unknown> | undefined;
    if (typeof deployed?.id === "string") parts.push(`deployedModel=${deployed.id}`);
  }
  parts.push(...driftParts(details));
  if (entry.error && typeof entry.error.message === "string") parts.push(`error=${entry.error.message}`);
  return parts.join("  ");
}

/** A drift record's lines (reconcileEndpoints): each difference, who or what made it, what became of the repair. */
function driftParts(details: Record<string, unknown>): string[] {
  const differences = details.differences;
  if (!Array.isArray(differences)) return [];
  const summaries = differences.map((d) => String((d as { summary?: unknown }).summary ?? ""));
  const changedBy = (details.changedBy as { by?: unknown } | undefined)?.by;
  return [
    `drift=${summaries.join("; ")}`,
    ...(typeof changedBy === "string" ? [`changedBy=${changedBy}`] : []),
    ...(typeof details.repair === "string" ? [`repair=${details.repair}`] : []),
  ];
}
