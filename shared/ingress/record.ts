import type { Cause } from "../contracts.js";
import type { LedgerRecord, Outcome } from "../ledger.js";
import { unattributed } from "../ledger.js";
import type { Ledger } from "../ports.js";

/** One ledger record of an event: what was done, for which model and commit, with what details. */
export interface EventRecord {
  model?: string | undefined;
  commit?: string | undefined;
  action: LedgerRecord["action"];
  outcome: Outcome;
  details: Record<string, unknown>;
  error?: Record<string, unknown>;
}

/** Where an event came from, as each of its ledger records says it. */
export interface EventOrigin {
  correlationId: string;
  cause: Cause;
  /** Details every record of the event starts with (the delivery id, the run…); a record's own come after. */
  details: Record<string, unknown>;
  /** The model and commit a record is about unless it names its own. */
  model?: string;
  commit?: string;
}

/**
 * Records the ledger entries of one event, each with the event's correlation id, cause and details; entries not
 * tied to a model or commit go under `_unattributed`.
 */
export function eventRecorder(
  deps: { ledger: Ledger; identity?: string | undefined },
  step: string,
  origin: EventOrigin,
): (entry: EventRecord) => Promise<void> {
  return async (entry) => {
    const { model = origin.model, commit = origin.commit, action, outcome, details, error } = entry;
    await deps.ledger.append({
      model: model ?? unattributed,
      commit: commit ?? unattributed,
      step,
      action,
      outcome,
      correlationId: origin.correlationId,
      causedBy: [origin.cause],
      details: { ...origin.details, ...details },
      ...(error === undefined ? {} : { error }),
      ...(deps.identity === undefined ? {} : { identity: deps.identity }),
    });
  };
}
