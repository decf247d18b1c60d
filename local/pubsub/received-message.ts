import { dateToTimestamp } from "./proto-time.js";
import type { ProtoObject } from "./resources.js";
import { invalidArgument } from "./status-error.js";
import type { SubscriptionRecord } from "./store.js";
import type { QueueEntry } from "./subscription-queue.js";

/** A queued message as Pull and StreamingPull answer it. */
export function toReceivedMessage(entry: QueueEntry, sub: SubscriptionRecord): ProtoObject {
  const { message } = entry;
  return {
    ackId: entry.lease?.ackId ?? "",
    message: {
      data: message.data,
      attributes: message.attributes,
      messageId: message.messageId,
      publishTime: dateToTimestamp(message.publishTime),
      orderingKey: message.orderingKey,
    },
    // Like the real service, the attempt count is only reported with a dead-letter policy.
    deliveryAttempt: sub.config.deadLetter ? entry.attempts : 0,
  };
}

/** Refuses an ack deadline outside 0–600 seconds, naming the field. */
export function validateDeadline(seconds: number, field: string): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 600) {
    throw invalidArgument(`Invalid ${field} given: ${seconds}. It must be between 0 and 600 seconds.`);
  }
}
