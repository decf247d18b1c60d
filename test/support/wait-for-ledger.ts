import type { LedgerEntry } from "../../shared/ledger.js";
import type { Ledger } from "../../shared/ports.js";
import { eventually } from "./eventually.js";

/**
 * Polls a commit's ledger until `count` records with one of `actions` exist, failing at once on a step that failed
 * or a message dead-lettered (the chain will not get there), and naming the actions seen on a timeout.
 */
export async function waitForLedger(
  ledger: Ledger,
  subject: { model: string; commit: string },
  actions: string[],
  { count = 1, timeoutMs = 60_000 }: { count?: number; timeoutMs?: number } = {},
): Promise<LedgerEntry[]> {
  let seen: LedgerEntry[] = [];
  return eventually(
    `the chain for ${subject.commit} to reach ${actions}`,
    async () => {
      seen = await ledger.read(subject.model, subject.commit);
      const failure = seen.find((e) => e.action === "step-failed" || e.action === "dead-lettered");
      if (failure) throw new Error(`chain for ${subject.commit} failed: ${JSON.stringify(failure.error)}`);
      return seen.filter((e) => actions.includes(e.action)).length >= count ? seen : undefined;
    },
    { timeoutMs, intervalMs: 200, detail: () => `ledger ${seen.map((e) => e.action)}` },
  );
}
