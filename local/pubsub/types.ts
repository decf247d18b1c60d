/** A message as the server keeps it after Publish assigned its id and time. */
export interface StoredMessage {
  readonly messageId: string;
  /** The topic it was published to (kept because a subscription's topic can later be deleted). */
  readonly topic: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  readonly orderingKey: string;
  readonly publishTime: Date;
}

/** The delivery-relevant part of a subscription, derived from its resource. */
export interface SubscriptionConfig {
  readonly name: string;
  readonly project: string;
  readonly id: string;
  readonly topic: string;
  readonly ackDeadlineMs: number;
  readonly pushEndpoint: string | undefined;
  readonly enableMessageOrdering: boolean;
  readonly deadLetter: { readonly topic: string; readonly maxDeliveryAttempts: number } | undefined;
  readonly retry: { readonly minimumBackoffMs: number; readonly maximumBackoffMs: number } | undefined;
}

/** Fault injection for push delivery; the server reads it at each delivery, so it can change at runtime. */
export interface PubSubFaults {
  /** Deliver every push message this many times (>= 1), concurrently; any 2xx acknowledges it. */
  duplicate?: number;
  /** Wait this long before each push. */
  delayMs?: number;
  /** Randomise the push order within each batch handed to the deliverer. */
  reorder?: boolean;
  /** Random source for `reorder`, injectable for reproducible runs (defaults to Math.random). */
  random?: () => number;
}
