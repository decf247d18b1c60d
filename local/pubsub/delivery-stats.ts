import type { PushAttempt } from "./push-deliverer.js";

/** A message moved to a dead-letter topic, as recorded for stats(). */
export interface DeadLetterRecord {
  subscription: string;
  messageId: string;
  deadLetterTopic: string;
  deadLetterMessageId: string | undefined;
  deliveryAttempts: number;
  reason: string | undefined;
}

/** Counters and records for tests and the end-to-end harness. */
export interface PubSubStats {
  published: number;
  /** Push HTTP requests sent (each duplicate counts). */
  deliveriesAttempted: number;
  /** The most recent push attempts (bounded), oldest first. */
  pushAttempts: readonly PushAttempt[];
  deadLettered: readonly DeadLetterRecord[];
}

const maxRecordedAttempts = 10_000;

/** The store's counters: messages published, push attempts (the latest 10,000 kept) and dead-lettered messages. */
export class DeliveryStats {
  published = 0;
  readonly deadLettered: DeadLetterRecord[] = [];
  readonly #pushAttempts: PushAttempt[] = [];
  #deliveriesAttempted = 0;

  recordAttempt(attempt: PushAttempt): void {
    this.#deliveriesAttempted += 1;
    this.#pushAttempts.push(attempt);
    if (this.#pushAttempts.length > maxRecordedAttempts) this.#pushAttempts.shift();
  }

  /** A copy of the counters and records as they are now. */
  snapshot(): PubSubStats {
    return {
      published: this.published,
      deliveriesAttempted: this.#deliveriesAttempted,
      pushAttempts: [...this.#pushAttempts],
      deadLettered: [...this.deadLettered],
    };
  }
}
