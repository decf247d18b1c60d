import { holdClaim } from "./claim-store.js";
import { type Cause, decodeMessage, type MessageOf } from "./contracts.js";
import { describeError, isRetryable, ValidationError } from "./errors.js";
import { type LedgerRecord, Outcome, unattributed } from "./ledger.js";
import { RuntimeAction } from "./ledger-actions.js";
import { type Logger, traceContext } from "./logger.js";
import { decodePushEnvelope } from "./pubsub-event.js";
import type { Runtime } from "./runtime.js";
import { deliveryPolicy, type FunctionName, type TopicName } from "./topology.js";

/** Request headers, as Node gives them. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** What a step sees besides its message: the runtime, a logger bound to the message, and a ledger shortcut. */
export interface StepContext {
  runtime: Runtime;
  logger: Logger;
  /** The Pub/Sub message that carried the contract. */
  delivery: { messageId: string; deliveryAttempt: number; subscription: string };
  /** The cause to put in messages this step publishes. */
  cause: Cause;
  /** Appends a ledger record for this message's model (`_unattributed` for a releases request) and commit. */
  record(record: Pick<LedgerRecord, "action" | "outcome"> & Partial<LedgerRecord>): Promise<void>;
}

/** What a step's logic takes from its context besides its adapters: bucket, publisher, configuration, trace, cause. */
export function stepDeps(context: StepContext) {
  const { blobs, publisher, config } = context.runtime;
  return { blobs, publisher, config, trace: context, cause: context.cause };
}

/** What `stepDeps` gives a step's logic. */
export type StepDeps = ReturnType<typeof stepDeps>;

/** What a step's logic is given besides its adapters: `stepDeps`, and a clock that tests may set. */
export interface StepLogicDeps extends StepDeps {
  now?: () => Date;
}

/**
 * The chain's step shape: logic over (message, its adapters + `stepDeps`), served with adapters made per runtime
 * (the real ones in production, fakes in tests). Returns the step for a given way of making the adapters.
 */
export function adaptedStep<T extends TopicName, A>(step: {
  name: FunctionName;
  topic: T;
  idempotencyKey: (message: MessageOf<T>) => string;
  logic: (message: MessageOf<T>, deps: A & StepDeps) => Promise<unknown>;
}): (adapters: (runtime: Runtime) => A) => StepDefinition<T> {
  const { logic, ...definition } = step;
  return (adapters) => ({
    ...definition,
    run: (message, context) => logic(message, { ...adapters(context.runtime), ...stepDeps(context) }),
  });
}

/** A Pub/Sub-triggered step: its contract, its idempotency key, and its logic. */
export interface StepDefinition<T extends TopicName> {
  name: FunctionName;
  topic: T;
  /**
   * The deterministic key that makes the step's effect happen once (e.g. `model@commit`); a message that is the
   * same every time (a scheduled one) is told apart by its delivery's message id.
   */
  idempotencyKey(message: MessageOf<T>, delivery: StepContext["delivery"]): string;
  run(message: MessageOf<T>, context: StepContext): Promise<unknown>;
}

/**
 * Runs a step for one Pub/Sub push delivery: decode the push envelope, validate the message against the contract,
 * claim the idempotency key, run, and classify failures. Resolves when the message is to be acknowledged; rejects
 * when Pub/Sub must redeliver it. Retryable → reject (after the delivery limit Pub/Sub dead-letters it; the last
 * attempt is recorded in the ledger first). Permanent → ledger record, error log, resolve. A message that fails its
 * contract → ledger record, resolve. A body that is not a push envelope at all → ValidationError (see
 * pubsub-push-handler.ts for what the function answers then).
 */
export function pubsubFunction<T extends TopicName>(
  step: StepDefinition<T>,
  getRuntime: () => Runtime,
): (envelope: unknown, headers?: RequestHeaders) => Promise<void> {
  return async (envelope, headers = {}) => {
    const decoded = decodePushEnvelope(envelope);
    const runtime = getRuntime();
    const delivery: StepContext["delivery"] = {
      messageId: decoded.messageId,
      deliveryAttempt: decoded.deliveryAttempt,
      subscription: decoded.subscription,
    };
    let logger = runtime.logger.child({
      functionName: step.name,
      messageId: delivery.messageId,
      deliveryAttempt: delivery.deliveryAttempt,
      ...traceContext(headers, runtime.config.project),
    });
    const cause: Cause = { source: `pubsub:${step.topic}`, id: delivery.messageId };

    let message: MessageOf<T>;
    try {
      message = decodeMessage(step.topic, decoded.data);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await rejectMessage(step, runtime, logger, cause, error);
      return;
    }

    // A releases request concerns a repository commit, not one model, and a reconcile request neither: their own
    // records name each model. Cloud Scheduler sends a reconcile request without a correlation id: its message id.
    const model = ("model" in message && message.model) || unattributed;
    const commit = "commit" in message ? message.commit : unattributed;
    const correlationId = message.correlationId ?? delivery.messageId;
    logger = logger.child({ correlationId, model, commit });
    const context: StepContext = {
      runtime,
      logger,
      delivery,
      cause,
      record: async (partial) => {
        await runtime.ledger.append({
          model,
          commit,
          step: step.name,
          correlationId,
          causedBy: [cause],
          ...(runtime.identity ? { identity: runtime.identity } : {}),
          ...partial,
        });
      },
    };

    await runClaimed(step, message, context);
  };
}

/** A message that fails its contract can never succeed: logs and records it, so the delivery can be acknowledged. */
async function rejectMessage(
  step: StepDefinition<TopicName>,
  runtime: Runtime,
  logger: Logger,
  cause: Cause,
  error: ValidationError,
): Promise<void> {
  logger.error(`rejected a message that does not match the ${step.topic} contract`, {
    error: error.toJSON(),
  });
  await runtime.ledger.append({
    model: unattributed,
    commit: unattributed,
    step: step.name,
    action: RuntimeAction.messageRejected,
    outcome: Outcome.refused,
    correlationId: cause.id,
    causedBy: [cause],
    error: error.toJSON(),
    ...(runtime.identity ? { identity: runtime.identity } : {}),
  });
}

/**
 * Claims the message's idempotency key (a completed claim acknowledges a repeat), runs the step while holding the
 * claim, and classifies the outcome: success completes the claim; a retryable failure releases it and rejects (the
 * last attempt recorded as dead-lettered first); a permanent failure is recorded, completes the claim and resolves.
 */
async function runClaimed<T extends TopicName>(
  step: StepDefinition<T>,
  message: MessageOf<T>,
  context: StepContext,
): Promise<void> {
  const { runtime, logger, delivery } = context;
  const key = step.idempotencyKey(message, delivery);
  const outcome = await runtime.claims.claim(step.name, key);
  if (outcome.state === "completed") {
    logger.info(`${step.name} already done for ${key}; acknowledging the repeat`, { idempotencyKey: key });
    return;
  }
  // Renewed while the step runs, so a redelivery never takes over a live attempt's claim.
  const held = holdClaim(runtime.claims, outcome.claim, (error) =>
    logger.warn(`${step.name} lost its claim on ${key} while running`, { error: describeError(error) }),
  );
  try {
    const result = await step.run(message, context);
    await held.stop();
    await runtime.claims.complete(held.current(), { outcome: Outcome.succeeded, result: result ?? null });
  } catch (error) {
    await held.stop();
    if (isRetryable(error)) {
      await runtime.claims.release(held.current()).catch(() => undefined);
      const lastAttempt = delivery.deliveryAttempt >= deliveryPolicy.maxDeliveryAttempts;
      if (lastAttempt) {
        await context.record({
          action: RuntimeAction.deadLettered,
          outcome: Outcome.failed,
          error: describeError(error),
        });
      }
      logger.warn(`${step.name} failed and will be retried`, {
        error: describeError(error),
        deliveryAttempt: delivery.deliveryAttempt,
        lastAttempt,
      });
      throw error;
    }
    await context.record({
      action: RuntimeAction.stepFailed,
      outcome: Outcome.failed,
      error: describeError(error),
    });
    await runtime.claims.complete(held.current(), { outcome: Outcome.failed, error: describeError(error) });
    logger.error(`${step.name} failed permanently; recorded and acknowledged`, {
      error: describeError(error),
    });
  }
}
