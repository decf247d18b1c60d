import { ResumeAction, Verdict, type VerificationCompleted } from "../../shared/contracts.js";
import type { RolloutStep } from "../../shared/rollout-plan.js";

/** Why a rollout waits for a person at a step. */
export const PauseReason = { approval: "approval", inconclusive: "inconclusive" } as const;
export type PauseReason = (typeof PauseReason)[keyof typeof PauseReason];

/** What rolloutModel does with a step's verdict. */
export type RolloutMove =
  | { kind: "finish" }
  | { kind: "roll-back"; aborted: boolean }
  | { kind: "advance"; step: RolloutStep }
  /** Waits at `step` (the verified one when inconclusive, the next one when it needs approval). */
  | { kind: "pause"; reason: PauseReason; step: number };

/**
 * The move a verdict at step `rolloutStep` calls for, as pure rules: an abort or a fail rolls back (from any
 * step); an inconclusive step waits for a person; a pass finishes at the last step, waits before a step that needs
 * approval, and otherwise advances. A promote (`resume.action`) stands for the person: it settles an inconclusive
 * verdict and gives the approval the next step waits for.
 */
export function nextMove(message: VerificationCompleted, steps: readonly RolloutStep[]): RolloutMove {
  const at = message.rolloutStep ?? 0;
  const promoted = message.resume?.action === ResumeAction.promote;
  if (message.resume?.action === ResumeAction.abort) return { kind: "roll-back", aborted: true };
  if (message.verdict === Verdict.fail) return { kind: "roll-back", aborted: false };
  if (message.verdict === Verdict.inconclusive && !promoted) {
    return { kind: "pause", reason: PauseReason.inconclusive, step: at };
  }
  const next = steps[at + 1];
  if (!next) return { kind: "finish" };
  if (next.approval && !promoted) return { kind: "pause", reason: PauseReason.approval, step: next.index };
  return { kind: "advance", step: next };
}
