import { setTimeout as sleep } from "node:timers/promises";
import { type HttpAgents, type PostOutcome, postOnce } from "./http-post.js";
import type { PubSubLog } from "./log.js";
import { buildPushRequest, isPushAck } from "./push-request.js";
import type { Consumer } from "./subscription-dispatcher.js";
import type { QueueEntry, SubscriptionQueue } from "./subscription-queue.js";
import type { PubSubFaults, SubscriptionConfig } from "./types.js";

/** One push attempt as recorded for stats(). */
export interface PushAttempt {
  subscription: string;
  messageId: string;
  deliveryAttempt: number;
  status?: number;
  error?: string;
}

/** What a push deliverer needs from the server around it. */
export interface PushDelivererDeps {
  config: () => SubscriptionConfig;
  queue: SubscriptionQueue;
  faults: () => PubSubFaults;
  agents: HttpAgents;
  signal: AbortSignal;
  log: PubSubLog;
  recordAttempt: (attempt: PushAttempt) => void;
  /** Called after every delivery settles, so the subscription is pumped again. */
  settled: () => void;
}

/** In-flight pushes per subscription, like a push subscription's outstanding-message limit. */
export const maxPushesInFlight = 16;

// The lease outlives the request timeout a little, so a slow endpoint is failed by the timeout
// (with its reason) rather than by lease expiry racing the response.
const leaseGraceMs = 1000;

/** Delivers a push subscription's messages as Pub/Sub push envelopes and acks or nacks them by the response. */
export class PushDeliverer implements Consumer {
  readonly #deps: PushDelivererDeps;
  #inFlight = 0;

  constructor(deps: PushDelivererDeps) {
    this.#deps = deps;
  }

  /** Deliveries currently in flight (including fault delays). */
  get inFlight(): number {
    return this.#inFlight;
  }

  capacity(): number {
    return this.#deps.signal.aborted ? 0 : maxPushesInFlight - this.#inFlight;
  }

  leaseMs(): number {
    return this.#deps.config().ackDeadlineMs + leaseGraceMs;
  }

  receive(entries: QueueEntry[]): void {
    const faults = this.#deps.faults();
    const order = faults.reorder ? shuffle(entries, faults.random ?? Math.random) : entries;
    for (const entry of order) {
      this.#inFlight += 1;
      this.#deliver(entry, faults)
        .catch((error: unknown) => {
          // A bug here must not take the server down; the lease expires and the message comes back.
          this.#deps.log({ event: "push-error", messageId: entry.message.messageId, error: String(error) });
        })
        .finally(() => {
          this.#inFlight -= 1;
          this.#deps.settled();
        });
    }
  }

  async #deliver(entry: QueueEntry, faults: PubSubFaults): Promise<void> {
    const { config, queue, signal, log } = this.#deps;
    const lease = entry.lease;
    if (!lease) return;
    const subscription = config();
    const endpoint = subscription.pushEndpoint;
    if (!endpoint) {
      // The push config was removed while this message was being handed over.
      queue.nack(lease.ackId, "push endpoint removed", Date.now());
      return;
    }
    const deliveryAttempt = entry.attempts;
    const request = buildPushRequest(
      subscription.name,
      entry.message,
      subscription.deadLetter ? deliveryAttempt : undefined,
    );
    try {
      if (faults.delayMs && faults.delayMs > 0) await sleep(faults.delayMs, undefined, { signal });
    } catch {
      return; // closing
    }
    const copies = Math.max(1, Math.floor(faults.duplicate ?? 1));
    const url = new URL(endpoint);
    const outcomes = await Promise.all(
      Array.from({ length: copies }, () =>
        postOnce(url, request.headers, request.body, subscription.ackDeadlineMs, this.#deps.agents, signal),
      ),
    );
    if (signal.aborted) return;
    for (const outcome of outcomes) {
      this.#deps.recordAttempt({
        subscription: subscription.name,
        messageId: entry.message.messageId,
        deliveryAttempt,
        ...outcome,
      });
    }
    const now = Date.now();
    if (outcomes.some((o) => "status" in o && isPushAck(o.status))) {
      queue.ack([lease.ackId]);
      return;
    }
    const reason = describeFailure(outcomes);
    log({
      event: "push-failed",
      subscription: subscription.name,
      messageId: entry.message.messageId,
      deliveryAttempt,
      endpoint,
      reason,
    });
    queue.nack(lease.ackId, reason, now);
  }
}

function describeFailure(outcomes: PostOutcome[]): string {
  const first = outcomes[0];
  if (!first) return "no response";
  return "status" in first ? `HTTP ${first.status}` : first.error;
}

/** Fisher–Yates with an injectable random source. */
function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}
