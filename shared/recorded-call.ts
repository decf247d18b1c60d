import { describeError, isRetryable } from "./errors.js";
import { Outcome } from "./ledger.js";
import type { LedgerAction } from "./ledger-actions.js";
import type { StepContext } from "./pubsub-function.js";

/** What a step needs to leave a trace: its ledger shortcut and its logger (a StepContext has both). */
export type TraceContext = Pick<StepContext, "record" | "logger">;

/**
 * Runs one upstream call (Vertex AI, in practice) and leaves its trace: the full response (`raw` when the port returns one, else the value)
 * goes to the ledger and the log under `action`; a failure records the error details before it propagates, so a
 * retried or dead-lettered call is as visible as a successful one.
 */
export async function recordedCall<T>(
  context: TraceContext,
  action: LedgerAction,
  call: () => Promise<T>,
  request?: Record<string, unknown>,
): Promise<T> {
  let result: T;
  try {
    result = await call();
  } catch (error) {
    const described = describeError(error);
    context.logger.warn(`${action} failed`, { action, request, error: described });
    await context.record({
      action,
      outcome: Outcome.failed,
      error: described,
      details: { ...(request ? { request } : {}), retryable: isRetryable(error) },
    });
    throw error;
  }
  const response = plain(responseOf(result));
  context.logger.info(`${action} succeeded`, { action, request, response });
  await context.record({
    action,
    outcome: Outcome.succeeded,
    details: { ...(request ? { request } : {}), response },
  });
  return result;
}

function responseOf(result: unknown): unknown {
  if (result !== null && typeof result === "object" && "raw" in result) {
    return (result as { raw: unknown }).raw;
  }
  if (
    Array.isArray(result) &&
    result.every((item) => item !== null && typeof item === "object" && "raw" in item)
  ) {
    return result.map((item) => (item as { raw: unknown }).raw);
  }
  return result;
}

/** A JSON-safe copy: protobuf messages serialise through their toJSON (enums as names, int64 as strings). */
function plain(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? String(v) : v)));
}
