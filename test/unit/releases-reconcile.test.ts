import { describe, expect, it } from "vitest";
import { reconcileColumns, renderReconcileColumns } from "../../cli/commands/releases-reconcile.js";
import type { LedgerEntry } from "../../shared/ledger.js";
import { Outcome } from "../../shared/ledger.js";
import { ReconcileAction } from "../../shared/ledger-actions.js";

const commit = "a".repeat(40);
function record(action: string, at: string, details: Record<string, unknown> = {}): LedgerEntry {
  return {
    id: `ledger/fraud-detector/${commit}/${at}`,
    at,
    model: "fraud-detector",
    commit,
    step: "reconcileEndpoints",
    action,
    outcome: action === ReconcileAction.driftDetected ? Outcome.failed : Outcome.succeeded,
    correlationId: `run-${at}`,
    causedBy: [],
    details,
  };
}
const drift = (at: string) =>
  record(ReconcileAction.driftDetected, at, {
    differences: [{ kind: "traffic", summary: "version 3 has 70 % of the traffic, not 100 %" }],
    repair: "requested",
  });

describe("releases status: last reconcile and drift", () => {
  it("has neither before any reconcile, and ignores other steps' records", () => {
    const other = { ...record("rollout-completed", "2026-01-01T00:00:00.000Z"), step: "rolloutModel" };
    expect(reconcileColumns([other])).toEqual({ lastReconcile: null, drift: null });
    expect(renderReconcileColumns({ lastReconcile: null, drift: null })).toContain("never run");
  });

  it("keeps drift open from the first run that found it until a run finds the endpoint in sync", () => {
    const found = [
      record(ReconcileAction.inSync, "2026-01-01T00:00:00.000Z"),
      drift("2026-01-01T00:05:00.000Z"),
      record(ReconcileAction.repairRequested, "2026-01-01T00:05:00.500Z"),
      drift("2026-01-01T00:10:00.000Z"),
    ];
    const columns = reconcileColumns([...found].reverse());
    expect(columns).toEqual({
      lastReconcile: {
        at: "2026-01-01T00:10:00.000Z",
        result: "drift",
        correlationId: "run-2026-01-01T00:10:00.000Z",
      },
      drift: {
        since: "2026-01-01T00:05:00.000Z",
        differences: ["version 3 has 70 % of the traffic, not 100 %"],
        repair: "requested",
      },
    });
    expect(renderReconcileColumns(columns)).toContain(
      "drift open since 2026-01-01T00:05:00.000Z (repair: requested)",
    );
    const closed = reconcileColumns([...found, record(ReconcileAction.inSync, "2026-01-01T00:15:00.000Z")]);
    expect(closed).toMatchObject({ lastReconcile: { result: "in-sync" }, drift: null });
  });
});
