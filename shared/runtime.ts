import type { PubSub } from "@google-cloud/pubsub";
import { Storage } from "@google-cloud/storage";
import { BucketClaimStore, defaultClaimTtlMs } from "./claim-store.js";
import { type Config, loadConfig } from "./config.js";
import { GcsBlobStore } from "./gcs-blob-store.js";
import { BucketLedger } from "./ledger.js";
import { createLogger, type Logger } from "./logger.js";
import type { BlobStore, ClaimStore, Ledger, Publisher } from "./ports.js";
import { PubSubPublisher } from "./pubsub-publisher.js";

/** What every function needs, built once per instance from configuration. */
export interface Runtime {
  config: Config;
  env: Record<string, string | undefined>;
  logger: Logger;
  blobs: BlobStore;
  claims: ClaimStore;
  ledger: Ledger;
  publisher: Publisher;
  /** The service account this function runs as (MODELGATE_IDENTITY), recorded in the ledger. */
  identity?: string;
}

/**
 * Builds the runtime on the Google client libraries. Endpoints follow the libraries' own conventions
 * (STORAGE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST), so the code is the same against Google or the local stack.
 */
export function createRuntime(env: Record<string, string | undefined>): Runtime {
  const config = loadConfig(env);
  const storage = new Storage(storageClientOptions(env, config.project));
  const blobs = new GcsBlobStore(storage, config.bucket);
  return {
    config,
    env,
    logger: createLogger(),
    blobs,
    claims: new BucketClaimStore(blobs, Date.now, claimTtlMs(env)),
    ledger: new BucketLedger(blobs),
    publisher: new PubSubPublisher(lazyPubSub(pubsubClientOptions(env, config.project))),
    ...(env.MODELGATE_IDENTITY ? { identity: env.MODELGATE_IDENTITY } : {}),
  };
}

/**
 * How long a step's claim holds before another attempt may take it over: MODELGATE_CLAIM_TTL_SECONDS, else 10
 * minutes. It must be shorter than the time the subscription's redeliveries span, or a step whose instance died
 * between claim and completion is dead-lettered instead of finished by a redelivery (the local stack's 0.2–2 s
 * backoff spans about 23 s; the cloud's 10–600 s, about 90 minutes).
 */
export function claimTtlMs(env: Record<string, string | undefined>): number {
  const raw = env.MODELGATE_CLAIM_TTL_SECONDS;
  if (raw === undefined || raw === "") return defaultClaimTtlMs;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`MODELGATE_CLAIM_TTL_SECONDS must be a positive number of seconds, got "${raw}"`);
  }
  return seconds * 1000;
}

/**
 * Storage client options. STORAGE_EMULATOR_HOST is the library's own convention; it is read from `env` (not
 * only process.env) so tests and the local stack can run several configurations in one process.
 */
export function storageClientOptions(env: Record<string, string | undefined>, projectId: string) {
  const host = env.STORAGE_EMULATOR_HOST;
  return host ? { projectId, apiEndpoint: host.startsWith("http") ? host : `http://${host}` } : { projectId };
}

/** Pub/Sub client options; PUBSUB_EMULATOR_HOST ("host:port") selects a plaintext local endpoint. */
export function pubsubClientOptions(env: Record<string, string | undefined>, projectId: string) {
  const host = env.PUBSUB_EMULATOR_HOST;
  return host ? { projectId, apiEndpoint: host, emulatorMode: true } : { projectId };
}

/**
 * The Pub/Sub client, loaded and built on the first publish, once. A Vertex step publishes only after its Vertex AI
 * work, so the library's load (google-gax, grpc-js and the Pub/Sub protos) stays off the path to its first call;
 * ingress functions publish on every accepted event and pay it on their first one either way.
 */
function lazyPubSub(options: ReturnType<typeof pubsubClientOptions>): () => Promise<PubSub> {
  let client: Promise<PubSub> | undefined;
  return () => {
    client ??= import("@google-cloud/pubsub").then(({ PubSub }) => new PubSub(options));
    // A failed load is not cached: the next publish tries again.
    client.catch(() => {
      client = undefined;
    });
    return client;
  };
}

let instance: Runtime | undefined;

/** The instance's runtime, created on first use (so a bad configuration fails loudly at the first event). */
export function sharedRuntime(): Runtime {
  instance ??= createRuntime(process.env);
  return instance;
}
