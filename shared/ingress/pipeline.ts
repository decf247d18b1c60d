import { type MessageEnvelope, messageEnvelope } from "../contracts.js";
import { ClaimHeldError, describeError } from "../errors.js";
import { type LogContext, type Logger, traceContext } from "../logger.js";
import type { Authenticate } from "./authenticate.js";
import type { IngressDeps } from "./deps.js";
import { EarlyAnswer, refuse } from "./early-answer.js";
import {
  type IngressHandler,
  type IngressRequest,
  type IngressResponse,
  IngressStatus,
  respond,
} from "./http.js";
import { runOnce } from "./once.js";
import { type EventOrigin, type EventRecord, eventRecorder } from "./record.js";

/** Lets a stage add what it has validated (a delivery id, an event id) to every later log line. */
export interface StageLog {
  add(fields: LogContext): void;
}

/** What a handler gets to act on one authenticated, parsed, first-seen event. */
export interface IngressContext {
  logger: Logger;
  now: () => Date;
  /** Appends a ledger record carrying the event's correlation id, cause and details. */
  record(entry: EventRecord): Promise<void>;
  /** The envelope of a message this event starts. */
  envelope(subject: { model: string; commit: string; repository: string }): MessageEnvelope;
}

/** What the log says and the caller is told when an event repeats, is in progress, or fails transiently. */
export interface RepeatAnswers {
  duplicate: { reason: string; log: string };
  inProgress: { reason: string; log: string };
  failed: { reason: string; log: string };
}

/**
 * An HTTP ingress function: only what differs between senders. The pipeline runs, in order: method (POST) →
 * `guard` (header checks before authentication) → `authenticate` → `parse` → deduplicate on the origin's key →
 * `act` → answer. A stage refuses or ignores by throwing `refuse(…)` or `ignore(…)` (early-answer.ts).
 */
export interface IngressDefinition<Event> {
  /** The function's name: the claim scope and the ledger's step. */
  step: string;
  /** What a request is, for refusals in the log: "a GitHub delivery". */
  what: string;
  /** Follows "method GET is not allowed; " in a 405. */
  methodHint: string;
  guard?(request: IngressRequest, log: StageLog): void;
  authenticate: Authenticate;
  parse(request: IngressRequest, log: StageLog): Event;
  /** The idempotency key and what every ledger record of the event carries. */
  origin(event: Event): EventOrigin & { key: string };
  act(event: Event, context: IngressContext): Promise<IngressResponse>;
  answers(event: Event): RepeatAnswers;
}

/** Builds the IngressHandler that runs `definition` through the pipeline with `deps`. */
export function createIngressHandler<Event>(
  deps: IngressDeps,
  definition: IngressDefinition<Event>,
): IngressHandler {
  const now = deps.now ?? (() => new Date());
  const baseLogger = deps.logger.child({ functionName: definition.step });

  return async (request) => {
    // Header values join the log context only once validated, and the caller's trace only once authenticated:
    // until then, anyone can send anything.
    let logger = baseLogger;
    const log: StageLog = { add: (fields) => (logger = logger.child(fields)) };
    let event: Event;
    try {
      if (request.method !== "POST") {
        throw refuse(405, `method ${request.method} is not allowed; ${definition.methodHint}`);
      }
      definition.guard?.(request, log);
      await definition.authenticate(request);
      log.add(traceContext(request.headers, deps.config.project));
      event = definition.parse(request, log);
    } catch (error) {
      if (error instanceof EarlyAnswer) return answerEarly(logger, definition.what, error);
      throw error;
    }
    return actOnce(deps, definition, event, { logger, now });
  };
}

async function actOnce<Event>(
  deps: IngressDeps,
  definition: IngressDefinition<Event>,
  event: Event,
  { logger, now }: { logger: Logger; now: () => Date },
): Promise<IngressResponse> {
  const origin = definition.origin(event);
  const answers = definition.answers(event);
  const context: IngressContext = {
    logger,
    now,
    record: eventRecorder(deps, definition.step, origin),
    envelope: (subject) => messageEnvelope({ ...origin, createdAt: now() }, subject),
  };
  try {
    const outcome = await runOnce(
      deps.claims,
      definition.step,
      origin.key,
      () => definition.act(event, context),
      (response) => ({ statusCode: response.statusCode, ...response.body }),
    );
    if (outcome.state === "done") return outcome.value;
    logger.info(answers.duplicate.log);
    return respond(200, IngressStatus.duplicate, answers.duplicate.reason);
  } catch (error) {
    if (error instanceof ClaimHeldError) {
      logger.warn(answers.inProgress.log, { error: error.toJSON() });
      return respond(409, IngressStatus.inProgress, answers.inProgress.reason);
    }
    logger.error(answers.failed.log, { error: describeError(error) });
    return respond(503, IngressStatus.error, answers.failed.reason);
  }
}

function answerEarly(logger: Logger, what: string, answer: EarlyAnswer): IngressResponse {
  const { statusCode, reason } = answer;
  if (answer.kind === "refused") {
    // Only what lets an operator see the reason: never a signature, a secret or the body.
    logger.warn(`refused ${what}: ${reason}`, { statusCode, reason, ...answer.log.fields });
    return respond(
      statusCode,
      IngressStatus.refused,
      reason,
      statusCode === 405 ? { headers: { Allow: "POST" } } : {},
    );
  }
  logger[answer.log.level](answer.log.message ?? reason);
  return respond(statusCode, IngressStatus.ignored, reason);
}
