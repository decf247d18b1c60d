import type { PublisherClient } from "@google-cloud/pubsub/build/src/v1/publisher_client.js";
import { ConfigError } from "./errors.js";
import { commonJsExports, loadOnce } from "./lazy-load.js";
import type { pubsubClientOptions } from "./runtime.js";
import { configuredEndpointOptions } from "./vertex/client-options.js";

type PubSubClientOptions = ReturnType<typeof pubsubClientOptions>;

/**
 * The generated PublisherClient's options from the library's (`pubsubClientOptions`, the one reader of
 * PUBSUB_EMULATOR_HOST), doing what the library's emulator detection does with them: an emulator endpoint
 * ("host:port") is reached in plaintext, without credentials. The library's keepalive settings come along: an
 * instance can idle for minutes between publishes on one channel.
 */
export async function publisherClientOptions(options: PubSubClientOptions) {
  const keepalive = { "grpc.keepalive_time_ms": 300_000, "grpc.keepalive_timeout_ms": 20_000 };
  if (!("apiEndpoint" in options)) return { projectId: options.projectId, ...keepalive };
  const at = options.apiEndpoint.lastIndexOf(":");
  const port = Number(options.apiEndpoint.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0) {
    throw new ConfigError(`PUBSUB_EMULATOR_HOST=${JSON.stringify(options.apiEndpoint)}: must be "host:port"`);
  }
  const endpoint = { host: options.apiEndpoint.slice(0, at), port, insecure: true };
  return { projectId: options.projectId, ...keepalive, ...(await configuredEndpointOptions(endpoint)) };
}

/**
 * The Pub/Sub PublisherClient, loaded and built on the first publish, once: the generated client module alone
 * (google-gax, grpc-js and the Publisher service's protos; the build trims them, scripts/pubsub-protos-plugin.ts),
 * not the library's index with its subscriber, batching and tracing. A Vertex step publishes only after its Vertex
 * AI work, so this stays off the path to its first call; ingress functions pay it on their first accepted event,
 * never on a refusal.
 */
export function lazyPublisherClient(options: PubSubClientOptions): () => Promise<PublisherClient> {
  return loadOnce(async () => {
    const [module, clientOptions] = await Promise.all([
      import("@google-cloud/pubsub/build/src/v1/publisher_client.js"),
      publisherClientOptions(options),
    ]);
    return new (commonJsExports(module).PublisherClient)(clientOptions);
  });
}
