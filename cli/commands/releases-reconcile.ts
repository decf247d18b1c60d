import type { LedgerEntry } from "../../shared/ledger.js";
import { ReconcileAction } from "../../shared/ledger-actions.js";
import { FunctionName } from "../../shared/topology.js";

/** The "last reconcile" and "drift" columns of `modelgate releases status`, from reconcileEndpoints' records. */
export interface ReconcileColumns {
  /** The newest verdict of a reconcile run on the model, or null when none has run since the release. */
  lastReconcile: { at: string; result: "in-sync" | "drift" | "skipped"; correlationId: string } | null;
  /** The drift that run found, still open until a later run finds the endpoint in sync; null when none. */
  drift: { since: string; differences: string[]; repair: string } | null;
}

const results = {
  [ReconcileAction.inSync]: "in-sync",
  [ReconcileAction.driftDetected]: "drift",
  [ReconcileAction.reconcileSkipped]: "skipped",
} as const;

/**
 * The columns from a model's ledger records (those of the commit that serves, where reconcileEndpoints records):
 * the newest in-sync, drift or skipped verdict; its drift is open, since the run that first found it in a row.
 */
export function reconcileColumns(entries: readonly LedgerEntry[]): ReconcileColumns {
  const verdicts = entries
    .filter((e) => e.step === FunctionName.reconcileEndpoints && e.action in results)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const last = verdicts.at(-1);
  if (last === undefined) return { lastReconcile: null, drift: null };
  const result = results[last.action as keyof typeof results];
  const lastReconcile = { at: last.at, result, correlationId: last.correlationId };
  if (result !== "drift") return { lastReconcile, drift: null };
  let since = last.at;
  for (const entry of verdicts.slice(0, -1).reverse()) {
    if (entry.action !== ReconcileAction.driftDetected) break;
    since = entry.at;
  }
  const differences = (last.details?.differences as { summary?: string }[] | undefined) ?? [];
  return {
    lastReconcile,
    drift: {
      since,
      differences: differences.map((d) => d.summary ?? "differs"),
      repair: String(last.details?.repair ?? "reported"),
    },
  };
}

/** The text lines of the columns, in the layout of `releases status`. */
export function renderReconcileColumns(columns: ReconcileColumns): string {
  const last = columns.lastReconcile;
  const lines = [`  reconcile ${last ? `${last.at}  ${last.result}` : "(never run since the release)"}`];
  const drift = columns.drift;
  if (drift) {
    lines.push(`  ! drift open since ${drift.since} (repair: ${drift.repair})`);
    for (const difference of drift.differences) lines.push(`    ${difference}`);
  }
  return `${lines.join("\n")}\n`;
}
