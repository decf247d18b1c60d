import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { isoMicrosFromMicros } from "./generation-clock.js";
import type { StorageLog } from "./log.js";

/** Where finalize events for a bucket go, as an Eventarc trigger on the bucket. */
export interface FinalizeSubscription {
  bucket: string;
  url: string;
  objectNamePrefix?: string;
}

/** How failed deliveries are retried. */
export interface DeliveryRetry {
  /** First backoff (default 100 ms); doubles per attempt. */
  initialBackoffMs?: number;
  /** Backoff ceiling (default 10 s). */
  maxBackoffMs?: number;
  /** Attempts before the event is dropped with an error log line (default 10). */
  maxAttempts?: number;
  /** Per-attempt timeout (default 60 s). */
  attemptTimeoutMs?: number;
}

export const FINALIZED_EVENT_TYPE = "google.cloud.storage.object.v1.finalized";

interface Outcome {
  ok: boolean;
  status?: number;
  error?: string;
}

/** POSTs one request without a pooled agent, so no socket outlives the delivery. */
function post(
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, { method: "POST", headers, agent: false, signal }, (res) => {
      res.resume();
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 300, status });
      });
      res.on("error", (error) => resolve({ ok: false, error: String(error) }));
    });
    req.on("error", (error) => resolve({ ok: false, error: String(error) }));
    req.end(body);
  });
}

/**
 * Turns committed writes into `google.cloud.storage.object.v1.finalized` CloudEvents in Eventarc's
 * binary HTTP mode, delivered after the write's response, with retries and exponential backoff.
 */
export class FinalizeDispatcher {
  readonly #subscriptions = new Set<FinalizeSubscription>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  readonly #log: StorageLog;
  readonly #retry: Required<DeliveryRetry>;
  #nextId = BigInt(Date.now()) * 1000n;

  constructor(log: StorageLog, retry: DeliveryRetry = {}) {
    this.#log = log;
    this.#retry = {
      initialBackoffMs: retry.initialBackoffMs ?? 100,
      maxBackoffMs: retry.maxBackoffMs ?? 10_000,
      maxAttempts: retry.maxAttempts ?? 10,
      attemptTimeoutMs: retry.attemptTimeoutMs ?? 60_000,
    };
  }

  /** Adds a subscription; the returned function removes it. */
  subscribe(sub: FinalizeSubscription): () => void {
    const url = new URL(sub.url); // throws on a bad URL at subscribe time, not at delivery time
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`Finalize subscription url must be http(s), got '${sub.url}'.`);
    }
    const entry = { ...sub };
    this.#subscriptions.add(entry);
    return () => {
      this.#subscriptions.delete(entry);
    };
  }

  /** Schedules one event per matching subscription for the object resource just written. */
  objectFinalized(resource: Record<string, unknown>): void {
    const bucket = String(resource.bucket);
    const name = String(resource.name);
    for (const sub of this.#subscriptions) {
      if (sub.bucket !== bucket || !name.startsWith(sub.objectNamePrefix ?? "")) continue;
      this.#nextId += 1n;
      const headers = {
        "ce-id": String(this.#nextId),
        "ce-source": `//storage.googleapis.com/projects/_/buckets/${bucket}`,
        "ce-specversion": "1.0",
        "ce-type": FINALIZED_EVENT_TYPE,
        "ce-subject": `objects/${name}`,
        "ce-time": isoMicrosFromMicros(BigInt(String(resource.generation))),
        "ce-bucket": bucket,
        "content-type": "application/json; charset=utf-8",
      };
      const delivery = this.#deliver(sub.url, headers, Buffer.from(JSON.stringify(resource)));
      this.#inFlight.add(delivery);
      void delivery.finally(() => this.#inFlight.delete(delivery));
    }
  }

  /** Resolves when no delivery is in flight or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  /** Abandons pending deliveries (logged) and stops retry timers. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.idle();
  }

  async #deliver(url: string, headers: Record<string, string>, body: Buffer): Promise<void> {
    // The upload's response goes out first; the subscriber never holds up the writer.
    await new Promise((resolve) => setImmediate(resolve));
    const target = new URL(url);
    const event = { eventId: headers["ce-id"], subject: headers["ce-subject"], url };
    let backoff = this.#retry.initialBackoffMs;
    for (let attempt = 1; attempt <= this.#retry.maxAttempts; attempt++) {
      if (this.#closing.signal.aborted) break;
      const signal = AbortSignal.any([
        this.#closing.signal,
        AbortSignal.timeout(this.#retry.attemptTimeoutMs),
      ]);
      const outcome = await post(target, { ...headers, "content-length": String(body.length) }, body, signal);
      if (outcome.ok) {
        this.#log({ severity: "DEBUG", message: "finalize event delivered", ...event, attempt });
        return;
      }
      this.#log({
        severity: "WARNING",
        message: "finalize event delivery failed",
        ...event,
        attempt,
        ...outcome,
      });
      if (attempt === this.#retry.maxAttempts) break;
      try {
        await sleep(backoff, undefined, { signal: this.#closing.signal });
      } catch {
        break; // closing
      }
      backoff = Math.min(backoff * 2, this.#retry.maxBackoffMs);
    }
    this.#log({
      severity: "ERROR",
      message: this.#closing.signal.aborted
        ? "finalize event dropped: server closing"
        : "finalize event dropped after retries",
      ...event,
    });
  }
}
