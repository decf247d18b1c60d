import { describe, expect, it } from "vitest";
import { resumeProblem, rolloutState } from "../../cli/rollout-state.js";
import type { LedgerEntry } from "../../shared/ledger.js";

const at = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, "0")}.000Z`;
const entry = (second: number, action: string, details: Record<string, unknown> = {}) =>
  ({
    id: `ledger/m/c/${second}`,
    at: at(second),
    model: "m",
    commit: "c",
    step: "rolloutModel",
    action,
    outcome: "succeeded",
    correlationId: "corr",
    causedBy: [],
    details,
  }) as LedgerEntry;

const verification = { rolloutStep: 0, verdict: "inconclusive" };

describe("where a rollout stands, from its ledger", () => {
  it.each([
    ["nothing on record", [], { kind: "none" }],
    [
      "paused at an inconclusive step",
      [
        entry(1, "deployment-ready-published", { rolloutStep: 0 }),
        entry(2, "rollout-paused-inconclusive", { step: 0, reason: "r", verification }),
      ],
      { kind: "paused", step: 0, reason: "r", verification, at: at(2) },
    ],
    [
      "under way after a promote (read in any order)",
      [
        entry(5, "rollout-step-scheduled", { step: 1 }),
        entry(2, "rollout-awaiting-approval", { step: 1, reason: "r", verification }),
        entry(4, "traffic-advanced"),
        entry(3, "rollout-resumed", { step: 0 }),
      ],
      { kind: "running", step: 1 },
    ],
    [
      "ended",
      [
        entry(2, "rollout-awaiting-approval", { step: 1, verification }),
        entry(3, "rollback-completed", { step: 0 }),
      ],
      { kind: "ended", action: "rollback-completed", at: at(3) },
    ],
  ])("%s", (_case, entries, state) => {
    expect(rolloutState(entries as LedgerEntry[])).toEqual(state);
  });

  it.each([
    ["promote", { kind: "running", step: 1 }, /not waiting for anyone \(at step 2\)/],
    [
      "promote",
      { kind: "ended", action: "rollout-completed", at: at(3) },
      /already ended \(rollout-completed/,
    ],
    ["abort", { kind: "ended", action: "rollback-completed", at: at(3) }, /already ended/],
    ["abort", { kind: "none" }, /no rollout of this commit is on record/],
  ] as const)("refuses %s when the rollout is %o", (action, state, reason) => {
    expect(resumeProblem(action, state as never)).toMatch(reason);
  });

  it("lets an abort stop a rollout under way and a promote continue a paused one", () => {
    expect(resumeProblem("abort", { kind: "running", step: 1 })).toBeNull();
    expect(
      resumeProblem("promote", {
        kind: "paused",
        step: 0,
        reason: "r",
        verification: verification as never,
        at: at(1),
      }),
    ).toBeNull();
  });
});
