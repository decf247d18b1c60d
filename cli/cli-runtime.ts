import { Storage } from "@google-cloud/storage";
import { type Config, loadConfig } from "../shared/config.js";
import { GcsBlobStore } from "../shared/gcs-blob-store.js";
import { BucketLedger } from "../shared/ledger.js";
import type { BlobStore, Ledger } from "../shared/ports.js";
import { storageClientOptions } from "../shared/runtime.js";
import { loadSettings, type Settings } from "../shared/settings.js";
import { resolveCliEnv } from "./cli-env.js";

/** The configuration and bucket access a CLI command needs, against Google Cloud or the running local stack. */
export interface CliContext {
  env: Record<string, string | undefined>;
  config: Config;
  settings: Settings;
  blobs: BlobStore;
  ledger: Ledger;
}

/** Builds the CLI context from the environment (MODELGATE_CONFIG, client endpoints, the local stack file). */
export function cliContext(baseEnv: Record<string, string | undefined>): CliContext {
  const env = resolveCliEnv(baseEnv);
  const config = loadConfig(env);
  const settings = loadSettings(env);
  const blobs = new GcsBlobStore(new Storage(storageClientOptions(settings, config.project)), config.bucket);
  return { env, config, settings, blobs, ledger: new BucketLedger(blobs) };
}
