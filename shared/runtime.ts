import { PubSub } from "@google-cloud/pubsub";
import { Storage } from "@google-cloud/storage";
import { BucketClaimStore } from "./claim-store.js";
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
  const pubsub = new PubSub(pubsubClientOptions(env, config.project));
  const blobs = new GcsBlobStore(storage, config.bucket);
  return {
    config,
    env,
    logger: createLogger(),
    blobs,
    claims: new BucketClaimStore(blobs),
    ledger: new BucketLedger(blobs),
    publisher: new PubSubPublisher(pubsub),
    ...(env.MODELGATE_IDENTITY ? { identity: env.MODELGATE_IDENTITY } : {}),
  };
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

let instance: Runtime | undefined;

/** The instance's runtime, created on first use (so a bad configuration fails loudly at the first event). */
export function sharedRuntime(): Runtime {
  instance ??= createRuntime(process.env);
  return instance;
}
