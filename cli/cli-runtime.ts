import { Storage } from "@google-cloud/storage";
import { type Config, loadConfig, vertexParent } from "../shared/config.js";
import type { MessageOf } from "../shared/contracts.js";
import { GcsBlobStore } from "../shared/gcs-blob-store.js";
import { BucketLedger } from "../shared/ledger.js";
import type { BlobStore, Ledger } from "../shared/ports.js";
import { PubSubPublisher } from "../shared/pubsub-publisher.js";
import { lazyPublisherClient } from "../shared/pubsub-publisher-client.js";
import { pubsubClientOptions, storageClientOptions } from "../shared/runtime.js";
import { loadSettings, type Settings } from "../shared/settings.js";
import type { TopicName } from "../shared/topology.js";
import type { VertexLocation } from "../shared/vertex/vertex-client.js";
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

/** Where the CLI reaches Vertex AI: the configured project and region, through the settings' endpoint. */
export function cliVertexLocation(context: CliContext): VertexLocation {
  return {
    endpoint: context.settings.vertexEndpoint,
    region: context.config.region,
    parent: vertexParent(context.config),
  };
}

/** Publishes one message with a client made for this call (closed after); resolves to the message id. */
export async function publishOne<T extends TopicName>(
  context: Pick<CliContext, "config" | "settings">,
  topic: T,
  message: MessageOf<T>,
): Promise<string> {
  const { project } = context.config;
  const client = await lazyPublisherClient(pubsubClientOptions(context.settings, project))();
  try {
    return await new PubSubPublisher(async () => client, project).publish(topic, message);
  } finally {
    await client.close();
  }
}
