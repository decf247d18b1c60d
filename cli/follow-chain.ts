import type { LedgerEntry } from "../shared/ledger.js";
import { endsChain } from "../shared/ledger-actions.js";
import type { Ledger } from "../shared/ports.js";

export interface ChainOutcome {
  /** The last record: the last step's, or the failure that stopped the chain. */
  final: LedgerEntry | undefined;
  entries: LedgerEntry[];
  finished: boolean;
}

/** True once the chain for a commit has ended: rolled out or back, or stopped by a permanent failure. */
export function chainEnded(entries: LedgerEntry[]): boolean {
  return entries.some(endsChain);
}

export interface FollowOptions {
  timeoutMs: number;
  pollMs?: number;
  /** Called once per new record (the progress display). */
  onEntry?: (entry: LedgerEntry) => void;
  /** Records already shown: a second follow of the same commit shows only what is new. */
  seen?: Set<string>;
  /** Stop early, unfinished, when this holds (a paused rollout, say). */
  stopWhen?: (entries: LedgerEntry[]) => boolean;
}

/** Follows one commit's ledger until the chain ends, `stopWhen` holds or `timeoutMs` passes. */
export async function followChain(
  ledger: Ledger,
  model: string,
  commit: string,
  options: FollowOptions,
): Promise<ChainOutcome> {
  const seen = options.seen ?? new Set<string>();
  const deadline = Date.now() + options.timeoutMs;
  let entries: LedgerEntry[] = [];
  for (;;) {
    entries = await ledger.read(model, commit);
    for (const entry of entries) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      options.onEntry?.(entry);
    }
    if (chainEnded(entries)) return { final: entries.at(-1), entries, finished: true };
    if (options.stopWhen?.(entries) || Date.now() > deadline) {
      return { final: entries.at(-1), entries, finished: false };
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
