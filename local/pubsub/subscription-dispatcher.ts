import type { PubSubLog } from "./log.js";
import type { LeaseOwner, QueueEntry, SubscriptionQueue } from "./subscription-queue.js";

/** Something that takes leased messages: a StreamingPull stream, a waiting Pull, the push deliverer. */
export interface Consumer extends LeaseOwner {
  /** How many more messages it can take right now. */
  capacity(): number;
  /** How long a lease given to it lasts. */
  leaseMs(): number;
  /** Hands it leased messages; must not throw. */
  receive(entries: QueueEntry[]): void;
}

// The real service sends at most about this many messages in one StreamingPull response.
const maxBatch = 1000;

/**
 * Moves a subscription's deliverable messages to its consumers: runs on every change (publish, ack,
 * nack, a consumer with room) and on a timer for the next lease expiry or end of a backoff.
 */
export class SubscriptionDispatcher {
  readonly queue: SubscriptionQueue;
  readonly #consumers: Consumer[] = [];
  readonly #afterPump: () => void;
  readonly #log: PubSubLog;
  #timer: NodeJS.Timeout | undefined;
  #timerAt: number | undefined;
  #pumpQueued = false;
  #closed = false;

  constructor(queue: SubscriptionQueue, afterPump: () => void, log: PubSubLog) {
    this.queue = queue;
    this.#afterPump = afterPump;
    this.#log = log;
  }

  /** Registers a consumer and offers it messages. */
  addConsumer(consumer: Consumer): void {
    this.#consumers.push(consumer);
    this.schedule();
  }

  /** Stops offering messages to a consumer (its leases run on until acked or expired). */
  removeConsumer(consumer: Consumer): void {
    const index = this.#consumers.indexOf(consumer);
    if (index >= 0) this.#consumers.splice(index, 1);
  }

  /** Asks for a pump soon; many changes in one tick coalesce into one pump. */
  schedule(): void {
    if (this.#pumpQueued || this.#closed) return;
    this.#pumpQueued = true;
    // setImmediate rather than a synchronous pump: callers are often in the middle of changing the
    // queue (an ack inside a consumer's callback, a dead letter published to another topic).
    setImmediate(() => {
      this.#pumpQueued = false;
      this.#safePump();
    });
  }

  /** Expires leases, hands deliverable messages out round-robin, and arms the timer for what comes next. */
  pump(): void {
    if (this.#closed) return;
    const now = Date.now();
    this.queue.expire(now);
    let progress = true;
    while (progress) {
      progress = false;
      // Rotate so several streams of one subscriber share the load.
      const first = this.#consumers.shift();
      if (first) this.#consumers.push(first);
      for (const consumer of [...this.#consumers]) {
        const room = Math.min(consumer.capacity(), maxBatch);
        if (room <= 0) continue;
        const batch = this.queue.take(room, consumer.leaseMs(), consumer, now);
        if (batch.length === 0) continue;
        consumer.receive(batch);
        progress = true;
      }
    }
    this.#arm(this.queue.nextWakeAt(now));
    this.#afterPump();
  }

  /** Stops the timer and forgets the consumers. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#consumers.length = 0;
  }

  // Pumps run from timers; an exception there would end the process, so it is logged instead.
  #safePump(): void {
    try {
      this.pump();
    } catch (error) {
      this.#log({ event: "pump-error", error: error instanceof Error ? error.stack : String(error) });
    }
  }

  #arm(at: number | undefined): void {
    if (at === this.#timerAt && this.#timer) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = undefined;
        this.#safePump();
      },
      Math.max(0, at - Date.now()),
    );
    // The gRPC server keeps a standalone process alive; the timer alone should not.
    this.#timer.unref();
  }
}
