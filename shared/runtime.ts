import { BucketClaimStore } from "./claim-store.js";
import { type Config, loadConfig } from "./config.js";
import { LazyBlobStore } from "./lazy-blob-store.js";
import { BucketLedger } from "./ledger.js";
import { createLogger, type Logger } from "./logger.js";
import type { BlobStore, ClaimStore, Ledger, Publisher } from "./ports.js";
import { PubSubPublisher } from "./pubsub-publisher.js";
import { lazyPublisherClient } from "./pubsub-publisher-client.js";
import { loadSettings, type Settings } from "./settings.js";

/** What every function needs, built once per instance from configuration and settings. */
export interface Runtime {
  config: Config;
  settings: Settings;
  logger: Logger;
  blobs: BlobStore;
  claims: ClaimStore;
  ledger: Ledger;
  publisher: Publisher;
  /** The service account this function runs as (MODELGATE_IDENTITY), recorded in the ledger. */
  identity?: string;
}

/**
 * Builds the runtime on the Google client libraries from the environment, parsed here once: a bad configuration
 * file or variable throws a ConfigError naming it. Endpoints follow the libraries' own conventions
 * (STORAGE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST), so the code is the same against Google or the local stack.
 * Parsing is cheap; the client libraries are not, so each is loaded (a dynamic import: its own chunk in a
 * function's bundle) on its first call, once per instance, never while the instance starts.
 */
export function createRuntime(env: Record<string, string | undefined>): Runtime {
  const config = loadConfig(env);
  const settings = loadSettings(env);
  const storageOptions = storageClientOptions(settings, config.project);
  const blobs = new LazyBlobStore(config.bucket, async () => {
    const [{ Storage }, { GcsBlobStore }] = await Promise.all([
      import("@google-cloud/storage"),
      import("./gcs-blob-store.js"),
    ]);
    return new GcsBlobStore(new Storage(storageOptions), config.bucket);
  });
  return {
    config,
    settings,
    logger: createLogger(),
    blobs,
    claims: new BucketClaimStore(blobs, Date.now, settings.claimTtlMs),
    ledger: new BucketLedger(blobs),
    publisher: new PubSubPublisher(
      lazyPublisherClient(pubsubClientOptions(settings, config.project)),
      config.project,
    ),
    ...(settings.identity ? { identity: settings.identity } : {}),
  };
}

/** Storage client options; a STORAGE_EMULATOR_HOST setting selects a local endpoint. */
export function storageClientOptions(settings: Pick<Settings, "storageEmulatorHost">, projectId: string) {
  const host = settings.storageEmulatorHost;
  return host ? { projectId, apiEndpoint: host.startsWith("http") ? host : `http://${host}` } : { projectId };
}

/**
 * Pub/Sub client options, as the library (`new PubSub(...)`) takes them; a PUBSUB_EMULATOR_HOST setting
 * ("host:port") selects a plaintext local endpoint. The runtime's publisher derives its own from these
 * (pubsub-publisher-client.ts), so this is the one place that reads the setting.
 */
export function pubsubClientOptions(settings: Pick<Settings, "pubsubEmulatorHost">, projectId: string) {
  const host = settings.pubsubEmulatorHost;
  return host ? { projectId, apiEndpoint: host, emulatorMode: true } : { projectId };
}

let instance: Runtime | undefined;

/**
 * The instance's runtime, from process.env: the one place a function reads its environment. Every function's
 * index.ts calls it as the module loads, so a bad configuration or variable fails the instance at start, before any
 * request or message is taken.
 */
export function sharedRuntime(): Runtime {
  instance ??= createRuntime(process.env);
  return instance;
}
