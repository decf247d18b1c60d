import type { StoredMessage, SubscriptionConfig } from "./types.js";

/** Who holds a lease; told when the lease ends so it can track its own outstanding count. */
export interface LeaseOwner {
  leaseEnded?(entry: QueueEntry): void;
}

/** A message's current lease: the ack id handed out and when it runs out. */
export interface Lease {
  readonly ackId: string;
  deadline: number;
  readonly owner: LeaseOwner;
}

/** One message waiting in (or leased from) a subscription. */
export interface QueueEntry {
  readonly message: StoredMessage;
  /** Deliveries so far (1 + nacks + expired deadlines once delivered again). */
  attempts: number;
  /** Earliest time (ms since epoch) the message may be delivered again. */
  availableAt: number;
  lease: Lease | undefined;
  /** Why the last delivery failed, for the dead-letter attributes and logs. */
  lastFailure: string | undefined;
  /** Every ack id this message was given, so all can be forgotten once it leaves the queue. */
  readonly ackIds: string[];
}

/**
 * Redelivery delay without a retry policy. The real service redelivers "as soon as possible";
 * a short pause keeps a failing local endpoint from being hammered in a tight loop.
 */
export const defaultRedeliveryDelayMs = 100;

/** How long to wait before redelivering after the given number of attempts (exponential, capped). */
export function redeliveryDelayMs(retry: SubscriptionConfig["retry"], attempts: number): number {
  if (!retry) return defaultRedeliveryDelayMs;
  const exponential = retry.minimumBackoffMs * 2 ** Math.max(0, attempts - 1);
  return Math.min(retry.maximumBackoffMs, exponential);
}

/**
 * The messages of one subscription and their leases: which may be delivered now (respecting
 * ordering keys and backoff), acknowledgement, deadline changes, expiry and dead-lettering.
 * Time is passed in, so the logic has no clock of its own.
 */
export class SubscriptionQueue {
  // Map iteration order is insertion order, i.e. publish order, which ordering keys rely on.
  readonly #entries = new Map<string, QueueEntry>();
  readonly #byAckId = new Map<string, QueueEntry>();
  readonly #config: () => SubscriptionConfig;
  readonly #onDeadLetter: (entry: QueueEntry) => void;
  readonly #ackIdPrefix: string;
  #ackSeq = 0;

  constructor(
    config: () => SubscriptionConfig,
    onDeadLetter: (entry: QueueEntry) => void,
    ackIdPrefix: string,
  ) {
    this.#config = config;
    this.#onDeadLetter = onDeadLetter;
    this.#ackIdPrefix = ackIdPrefix;
  }

  /** Messages not yet acknowledged (leased or waiting). */
  get size(): number {
    return this.#entries.size;
  }

  /** Adds a newly published message, deliverable at once. */
  add(message: StoredMessage, now: number): void {
    this.#entries.set(message.messageId, {
      message,
      attempts: 0,
      availableAt: now,
      lease: undefined,
      lastFailure: undefined,
      ackIds: [],
    });
  }

  /** Leases up to `max` deliverable messages to `owner` for `leaseMs`. */
  take(max: number, leaseMs: number, owner: LeaseOwner, now: number): QueueEntry[] {
    const taken: QueueEntry[] = [];
    if (max <= 0) return taken;
    const ordered = this.#config().enableMessageOrdering;
    // With ordering, only the oldest unacknowledged message of a key may be out at a time.
    const keysSeen = new Set<string>();
    for (const entry of this.#entries.values()) {
      if (taken.length >= max) break;
      const key = entry.message.orderingKey;
      if (ordered && key !== "") {
        if (keysSeen.has(key)) continue;
        keysSeen.add(key);
      }
      if (entry.lease || entry.availableAt > now) continue;
      entry.attempts += 1;
      this.#ackSeq += 1;
      const ackId = `${this.#ackIdPrefix}-${entry.message.messageId}-${this.#ackSeq}`;
      entry.lease = { ackId, deadline: now + leaseMs, owner };
      this.#byAckId.set(ackId, entry);
      entry.ackIds.push(ackId);
      taken.push(entry);
    }
    return taken;
  }

  /** Acknowledges messages; ack ids from earlier leases of a still-pending message count too. */
  ack(ackIds: readonly string[]): number {
    let acked = 0;
    for (const ackId of ackIds) {
      const entry = this.#byAckId.get(ackId);
      if (!entry || !this.#entries.has(entry.message.messageId)) continue;
      this.#remove(entry);
      acked += 1;
    }
    return acked;
  }

  /** Extends (or with 0 seconds, nacks) the current leases named by `ackIds`. */
  modifyDeadline(ackIds: readonly string[], seconds: number, now: number): void {
    for (const ackId of ackIds) {
      const entry = this.#currentLease(ackId);
      if (!entry?.lease) continue;
      if (seconds === 0) this.fail(entry, "nack", now);
      else entry.lease.deadline = now + seconds * 1000;
    }
  }

  /** Ends the lease named by `ackId` as a failed delivery (no-op if it already ended). */
  nack(ackId: string, reason: string, now: number): void {
    const entry = this.#currentLease(ackId);
    if (entry) this.fail(entry, reason, now);
  }

  /** Ends every lease whose deadline has passed as a failed delivery. */
  expire(now: number): void {
    for (const entry of [...this.#entries.values()]) {
      if (entry.lease && entry.lease.deadline <= now) this.fail(entry, "ack deadline exceeded", now);
    }
  }

  /** The next time something changes by itself (a lease runs out or a backoff ends), if any. */
  nextWakeAt(now: number): number | undefined {
    let next: number | undefined;
    for (const entry of this.#entries.values()) {
      const at = entry.lease ? entry.lease.deadline : entry.availableAt > now ? entry.availableAt : undefined;
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /** Drops everything (the subscription was deleted). */
  clear(): void {
    for (const entry of [...this.#entries.values()]) this.#remove(entry);
  }

  /** A failed delivery: dead-letter after the policy's limit, otherwise redeliver after the backoff. */
  fail(entry: QueueEntry, reason: string, now: number): void {
    if (!this.#entries.has(entry.message.messageId)) return;
    this.#endLease(entry);
    entry.lastFailure = reason;
    const config = this.#config();
    if (config.deadLetter && entry.attempts >= config.deadLetter.maxDeliveryAttempts) {
      this.#remove(entry);
      this.#onDeadLetter(entry);
      return;
    }
    entry.availableAt = now + redeliveryDelayMs(config.retry, entry.attempts);
  }

  #currentLease(ackId: string): QueueEntry | undefined {
    const entry = this.#byAckId.get(ackId);
    if (!entry || entry.lease?.ackId !== ackId || !this.#entries.has(entry.message.messageId))
      return undefined;
    return entry;
  }

  #endLease(entry: QueueEntry): void {
    const lease = entry.lease;
    if (!lease) return;
    entry.lease = undefined;
    lease.owner.leaseEnded?.(entry);
  }

  #remove(entry: QueueEntry): void {
    this.#endLease(entry);
    this.#entries.delete(entry.message.messageId);
    // Ack ids stay valid only while their message is pending; drop every one it was given.
    for (const ackId of entry.ackIds) this.#byAckId.delete(ackId);
  }
}
