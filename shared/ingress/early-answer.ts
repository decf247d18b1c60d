import type { LogContext } from "../logger.js";

/**
 * Ends an ingress request before any work is done: a stage (guard, authentication, parse) throws it, and the
 * pipeline answers it. A refusal is answered with its status and logged at WARNING; an ignored event is answered
 * 200 and logged at the level given. Not a ModelgateError: it never leaves the pipeline.
 */
export class EarlyAnswer extends Error {
  constructor(
    readonly kind: "refused" | "ignored",
    readonly statusCode: number,
    readonly reason: string,
    readonly log: { level: "warn" | "info" | "debug"; message?: string; fields: LogContext },
  ) {
    super(reason);
    this.name = "EarlyAnswer";
  }
}

/** A refusal to throw from a stage: `throw refuse(400, "the request has no body")`. */
export function refuse(statusCode: number, reason: string, fields: LogContext = {}): EarlyAnswer {
  return new EarlyAnswer("refused", statusCode, reason, { level: "warn", fields });
}

/** An event acknowledged with 200 but not acted on; `message` is what the log says. */
export function ignore(reason: string, message: string, level: "info" | "debug" = "info"): EarlyAnswer {
  return new EarlyAnswer("ignored", 200, reason, { level, message, fields: {} });
}
