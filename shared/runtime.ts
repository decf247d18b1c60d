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
  const storage = new Storage({ projectId: config.project });
  const pubsub = new PubSub({ projectId: config.project });
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

let instance: Runtime | undefined;

/** The instance's runtime, created on first use (so a bad configuration fails loudly at the first event). */
export function sharedRuntime(): Runtime {
  instance ??= createRuntime(process.env);
  return instance;
}
