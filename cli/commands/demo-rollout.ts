import { reportObjectNames } from "../../functions/verify-deployment/report.js";
import { type LedgerEntry, Outcome } from "../../shared/ledger.js";
import { RolloutAction, VerifyAction } from "../../shared/ledger-actions.js";
import type { RolloutStep } from "../../shared/rollout-plan.js";
import type { CliContext } from "../cli-runtime.js";
import type { CliIO } from "../command.js";
import { type ChainOutcome, followChain } from "../follow-chain.js";
import { rolloutState } from "../rollout-state.js";
import { promote } from "./rollout-decision.js";

/** One push of the demo: what it is, the training data it uses, and who promotes it if its rollout pauses. */
export interface DemoRun {
  label: string;
  /** The bucket object copied over the training data before the push. */
  data: string;
  /** Promote a paused rollout as this person (one of the model's promoters), as someone would at a terminal. */
  promoteAs?: string;
}

interface Followed {
  model: string;
  commit: string;
  run: DemoRun;
  steps: readonly RolloutStep[];
  timeoutMs: number;
  started: number;
}

/**
 * Follows a commit's chain to its end, printing each record. A pause (an inconclusive step, or one waiting for
 * approval) is promoted as `run.promoteAs` through `modelgate promote`; without one, following stops there with the
 * command that would continue it.
 */
export async function followRollout(
  context: CliContext,
  followed: Followed,
  io: CliIO,
): Promise<ChainOutcome> {
  const { model, commit, run, steps } = followed;
  const seen = new Set<string>();
  const decided = new Set<string>();
  const deadline = Date.now() + followed.timeoutMs;
  const undecidedPause = (entries: LedgerEntry[]) => {
    const state = rolloutState(entries);
    return state.kind === "paused" && !decided.has(state.at) ? state : undefined;
  };
  for (;;) {
    const outcome = await followChain(context.ledger, model, commit, {
      timeoutMs: Math.max(0, deadline - Date.now()),
      seen,
      stopWhen: (entries) => undecidedPause(entries) !== undefined,
      onEntry: (entry) => io.out(progressLine(entry, followed.started, steps.length)),
    });
    const pause = undecidedPause(outcome.entries);
    if (outcome.finished || !pause) return outcome;
    decided.add(pause.at);
    const command = `npx modelgate promote ${model} --commit ${commit}`;
    io.out(`  ⏸ paused at step ${pause.step + 1} of ${steps.length}: ${pause.reason}\n`);
    if (!run.promoteAs) {
      io.out(`  it waits for a person: ${command}\n`);
      return outcome;
    }
    io.out(`  ▶ ${run.promoteAs} decides to go on: ${command} --as ${run.promoteAs}\n`);
    const indented = { ...io, out: (text: string) => io.out(text.replace(/^(?=.)/gm, "    ")) };
    const code = await promote.run({ values: { commit, as: run.promoteAs }, positionals: [model] }, indented);
    if (code !== 0) return outcome;
  }
}

/** One ledger record as a progress line: seconds since the push, the function, the action, and the step. */
export function progressLine(entry: LedgerEntry, started: number, stepCount: number): string {
  const elapsed = ((Date.parse(entry.at) - started) / 1000).toFixed(1).padStart(5);
  const mark = entry.outcome === Outcome.failed || entry.outcome === Outcome.refused ? "✗" : "✓";
  const details = (entry.details ?? {}) as { step?: unknown; verdict?: unknown; traffic?: unknown };
  const notes: string[] = [];
  if (typeof details.step === "number" && stepCount > 1) notes.push(`step ${details.step + 1}/${stepCount}`);
  if (typeof details.traffic === "number") notes.push(`${details.traffic} %`);
  if (entry.action === VerifyAction.verificationCompleted && typeof details.verdict === "string") {
    notes.push(details.verdict);
  }
  const note = notes.length > 0 ? `  [${notes.join(", ")}]` : "";
  return `  ${elapsed}s  ${mark} ${entry.step.padEnd(17)} ${entry.action} (${entry.outcome})${note}\n`;
}

/** The steps verified, in order, with their verdicts. */
function verifiedSteps(entries: readonly LedgerEntry[]): { step: number; verdict: string }[] {
  return entries
    .filter((e) => e.action === VerifyAction.verificationCompleted)
    .map((e) => e.details as { step?: number; verdict?: string })
    .map((d) => ({ step: d.step ?? 0, verdict: d.verdict ?? "?" }));
}

/** What became of a push, in one line, from its ledger. */
export function outcomeLine(outcome: ChainOutcome | undefined, steps: readonly RolloutStep[]): string {
  if (!outcome) return "refused by githubWebhook";
  const verified = verifiedSteps(outcome.entries);
  const path = verified.map(({ step, verdict }) => `${steps[step]?.traffic ?? "?"} % ${verdict}`).join(" → ");
  const promotedBy = outcome.entries
    .filter((e) => e.action === RolloutAction.resumed)
    .map((e) => (e.details as { resume?: { by?: string } }).resume?.by)
    .filter(Boolean);
  const promoted = promotedBy.length > 0 ? `, promoted by ${promotedBy.join(", ")}` : "";
  if (!outcome.finished) {
    const state = rolloutState(outcome.entries);
    return state.kind === "paused"
      ? `PAUSED at step ${state.step + 1} (${path})`
      : `did not finish in time (${path || "not verified yet"})`;
  }
  if (outcome.entries.some((e) => e.action === RolloutAction.rolloutCompleted)) {
    const first = verified.length === 1 && verified[0]?.step === steps.length - 1;
    return first
      ? "ROLLED OUT at 100 % at once (a first deployment: nothing served before it), verified"
      : `ROLLED OUT through every step (${path}${promoted}), alias production`;
  }
  if (outcome.entries.some((e) => e.action === RolloutAction.rollbackCompleted)) {
    const failedAt = verified.at(-1)?.step ?? 0;
    return `ROLLED BACK at step ${failedAt + 1} of ${steps.length} (${path}${promoted}): the split from before the rollout restored`;
  }
  return `stopped before verification: ${outcome.final?.action ?? "nothing recorded"}`;
}

/** The last verified step's HTML report, as the local Cloud Storage serves it. */
export function reportUrl(
  storageHost: string | undefined,
  bucket: string,
  model: string,
  commit: string,
  outcome: ChainOutcome | undefined,
): string {
  const step = verifiedSteps(outcome?.entries ?? []).at(-1)?.step ?? 0;
  const object = reportObjectNames(model, commit, step).html;
  return `${storageHost ?? ""}/storage/v1/b/${bucket}/o/${encodeURIComponent(object)}?alt=media`;
}
