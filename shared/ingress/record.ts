import type { Cause } from "../contracts.js";
import type { Outcome } from "../ledger.js";
import { unattributed } from "../ledger.js";
import type { Ledger } from "../ports.js";

/** The ledger record an ingress function writes for an event it accepted or refused after authentication. */
export interface IngressRecord {
  model?: string | undefined;
  commit?: string | undefined;
  action: string;
  outcome: Outcome;
  correlationId: string;
  causedBy: Cause[];
  details: Record<string, unknown>;
  error?: Record<string, unknown>;
}

/** Appends an ingress record; events not tied to a model or commit go under `_unattributed`. */
export async function recordIngress(
  deps: { ledger: Ledger; identity?: string | undefined },
  step: string,
  record: IngressRecord,
): Promise<void> {
  await deps.ledger.append({
    model: record.model ?? unattributed,
    commit: record.commit ?? unattributed,
    step,
    action: record.action,
    outcome: record.outcome,
    correlationId: record.correlationId,
    causedBy: record.causedBy,
    details: record.details,
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(deps.identity === undefined ? {} : { identity: deps.identity }),
  });
}
