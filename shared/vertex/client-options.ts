import type { ChannelCredentials } from "@grpc/grpc-js";
import { commonJsExports } from "../lazy-load.js";
import type { VertexEndpoint } from "../settings.js";

// A type alias, not an interface: gax's ClientOptions has an index signature that interfaces do not satisfy.
export type VertexClientOptions = {
  apiEndpoint: string;
  port?: number;
  sslCreds?: ChannelCredentials;
  universeDomain?: string;
};

/**
 * Options for every Vertex AI service client, from settings only: the regional Google endpoint by default, or the
 * configured endpoint (MODELGATE_VERTEX_ENDPOINT: a private endpoint, or the local stand-in), in plaintext when
 * it is marked insecure (a loopback server). The code path is the same either way.
 */
export async function vertexClientOptions(
  endpoint: VertexEndpoint | undefined,
  region: string,
): Promise<VertexClientOptions> {
  if (!endpoint) return { apiEndpoint: `${region}-aiplatform.googleapis.com` };
  return configuredEndpointOptions(endpoint);
}

/**
 * Options of a gax client pointed at a configured `host:port` (a private endpoint, or a local stand-in): plaintext
 * when marked insecure. Vertex AI's clients and Cloud Tasks' use it alike.
 */
export async function configuredEndpointOptions(endpoint: VertexEndpoint): Promise<VertexClientOptions> {
  // Naming the universe keeps google-gax from asking the auth library (and the metadata server) for it.
  const options: VertexClientOptions = {
    apiEndpoint: endpoint.host,
    port: endpoint.port,
    universeDomain: "googleapis.com",
  };
  if (endpoint.insecure) {
    // Loaded only here: grpc-js is already in memory once a gax client exists, so this costs nothing extra.
    const grpc = commonJsExports(await import("@grpc/grpc-js"));
    options.sslCreds = grpc.credentials.createInsecure();
  }
  return options;
}
