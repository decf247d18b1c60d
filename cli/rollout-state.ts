import type { ResumeAction, VerificationCompleted } from "../shared/contracts.js";
import type { LedgerEntry } from "../shared/ledger.js";
import { chainCompletedActions, pausedActions, RolloutAction } from "../shared/ledger-actions.js";

/** Where a rollout stands, from its commit's ledger: ended, paused at a step (with its verdict), or under way. */
export type RolloutState =
  | { kind: "none" }
  | { kind: "ended"; action: string; at: string }
  | { kind: "paused"; step: number; reason: string; verification: VerificationCompleted; at: string }
  | { kind: "running"; step: number };

const moves: readonly string[] = [
  RolloutAction.trafficAdvanced,
  RolloutAction.stepPublished,
  RolloutAction.stepScheduled,
  RolloutAction.resumed,
  RolloutAction.aborted,
];

/**
 * The state of the newest rollout of a commit: the last record that ends it, pauses it or moves it decides. A pause
 * carries the verdict rolloutModel acted on (details.verification), which `promote` re-sends with the person's
 * decision.
 */
export function rolloutState(entries: readonly LedgerEntry[]): RolloutState {
  const ordered = [...entries].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  let step = -1;
  for (const entry of ordered) {
    const s = (entry.details as { step?: unknown } | undefined)?.step;
    if (typeof s === "number" && s > step) step = s;
  }
  for (const entry of ordered.reverse()) {
    if ((chainCompletedActions as readonly string[]).includes(entry.action)) {
      return { kind: "ended", action: entry.action, at: entry.at };
    }
    if ((pausedActions as readonly string[]).includes(entry.action)) {
      const details = entry.details as { step: number; reason: string; verification: VerificationCompleted };
      return {
        kind: "paused",
        step: details.step,
        reason: details.reason,
        verification: details.verification,
        at: entry.at,
      };
    }
    if (moves.includes(entry.action) || entry.action === "deployment-ready-published") {
      return { kind: "running", step: Math.max(step, 0) };
    }
  }
  return { kind: "none" };
}

/** Why `action` cannot be asked of a rollout in `state`, or null when it can. */
export function resumeProblem(action: ResumeAction, state: RolloutState): string | null {
  if (state.kind === "none") return "no rollout of this commit is on record";
  if (state.kind === "ended") return `the rollout already ended (${state.action} at ${state.at})`;
  if (action === "promote" && state.kind !== "paused") {
    return `the rollout is not waiting for anyone (at step ${state.step + 1}); promote continues a paused rollout`;
  }
  return null;
}
