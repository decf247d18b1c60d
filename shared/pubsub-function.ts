import type { CloudEventV1 } from "cloudevents";
import { holdClaim } from "./claim-store.js";
import { type Cause, decodeMessage, type MessageOf } from "./contracts.js";
import { describeError, isRetryable, ValidationError } from "./errors.js";
import { unattributed } from "./ledger.js";
import { type Logger, traceContext } from "./logger.js";
import { type LedgerRecord, Outcome } from "./ports.js";
import { decodePubSubEvent } from "./pubsub-event.js";
import type { Runtime } from "./runtime.js";
import { deliveryPolicy, type FunctionName, type TopicName } from "./topology.js";

/** What a step sees besides its message: the runtime, a logger bound to the message, and a ledger shortcut. */
export interface StepContext {
  runtime: Runtime;
  logger: Logger;
  /** The Pub/Sub message that carried the contract. */
  delivery: { messageId: string; deliveryAttempt: number; eventId: string };
  /** The cause to put in messages this step publishes. */
  cause: Cause;
  /** Appends a ledger record for this message's model and commit. */
  record(record: Pick<LedgerRecord, "action" | "outcome"> & Partial<LedgerRecord>): Promise<void>;
}

/** A Pub/Sub-triggered step: its contract, its idempotency key, and its logic. */
export interface StepDefinition<T extends TopicName> {
  name: FunctionName;
  topic: T;
  /** The deterministic key that makes the step's effect happen once (e.g. `model@commit`). */
  idempotencyKey(message: MessageOf<T>): string;
  run(message: MessageOf<T>, context: StepContext): Promise<unknown>;
}

/**
 * Wraps a step as a CloudEvent function for `google.cloud.pubsub.topic.v1.messagePublished`: decode, validate
 * against the contract, claim the idempotency key, run, and classify failures. Retryable → throw, so the platform
 * redelivers (and after the delivery limit dead-letters, recorded first in the ledger). Permanent → ledger record,
 * error log, return, so the message is acknowledged and reaches no retry loop.
 */
export function pubsubFunction<T extends TopicName>(
  step: StepDefinition<T>,
  getRuntime: () => Runtime,
): (event: CloudEventV1<unknown>) => Promise<void> {
  return async (event) => {
    const runtime = getRuntime();
    const trace = traceContext(
      { traceparent: stringAttribute(event, "traceparent") },
      runtime.config.project,
    );
    let logger = runtime.logger.child({ functionName: step.name, eventId: event.id, ...trace });

    let message: MessageOf<T>;
    let delivery: StepContext["delivery"];
    try {
      const decoded = decodePubSubEvent(event.id, event.data);
      delivery = {
        messageId: decoded.messageId,
        deliveryAttempt: decoded.deliveryAttempt,
        eventId: event.id,
      };
      message = decodeMessage(step.topic, decoded.data);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      // A message that fails its contract can never succeed: record it and acknowledge.
      logger.error(`rejected a message that does not match the ${step.topic} contract`, {
        error: error.toJSON(),
      });
      await runtime.ledger.append({
        model: unattributed,
        commit: unattributed,
        step: step.name,
        action: "message-rejected",
        outcome: Outcome.refused,
        correlationId: event.id,
        causedBy: [{ source: String(event.source), id: event.id }],
        error: error.toJSON(),
        ...(runtime.identity ? { identity: runtime.identity } : {}),
      });
      return;
    }

    logger = logger.child({
      correlationId: message.correlationId,
      model: message.model,
      commit: message.commit,
    });
    const cause: Cause = { source: `pubsub:${step.topic}`, id: delivery.messageId };
    const context: StepContext = {
      runtime,
      logger,
      delivery,
      cause,
      record: async (partial) => {
        await runtime.ledger.append({
          model: message.model,
          commit: message.commit,
          step: step.name,
          correlationId: message.correlationId,
          causedBy: [cause],
          ...(runtime.identity ? { identity: runtime.identity } : {}),
          ...partial,
        });
      },
    };

    const key = step.idempotencyKey(message);
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
            action: "dead-lettered",
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
      await context.record({ action: "step-failed", outcome: Outcome.failed, error: describeError(error) });
      await runtime.claims.complete(held.current(), { outcome: Outcome.failed, error: describeError(error) });
      logger.error(`${step.name} failed permanently; recorded and acknowledged`, {
        error: describeError(error),
      });
    }
  };
}

function stringAttribute(event: CloudEventV1<unknown>, name: string): string | undefined {
  const value = (event as unknown as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}
