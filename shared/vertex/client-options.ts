import type { ChannelCredentials } from "@grpc/grpc-js";
import { ConfigError } from "../errors.js";

// A type alias, not an interface: gax's ClientOptions has an index signature that interfaces do not satisfy.
export type VertexClientOptions = {
  apiEndpoint: string;
  port?: number;
  sslCreds?: ChannelCredentials;
  universeDomain?: string;
};

/**
 * Options for every Vertex AI service client, from configuration only: the regional Google endpoint by default;
 * MODELGATE_VERTEX_ENDPOINT ("host:port") overrides it (a private endpoint, or the local stand-in), and
 * MODELGATE_VERTEX_INSECURE=true drops TLS for a loopback server. The code path is the same either way.
 */
export async function vertexClientOptions(
  env: Record<string, string | undefined>,
  region: string,
): Promise<VertexClientOptions> {
  const override = env.MODELGATE_VERTEX_ENDPOINT;
  if (!override) return { apiEndpoint: `${region}-aiplatform.googleapis.com` };
  const match = override.match(/^([^:]+):(\d{1,5})$/);
  if (!match?.[1] || !match[2]) {
    throw new ConfigError(`MODELGATE_VERTEX_ENDPOINT must be "host:port", got "${override}"`);
  }
  // Naming the universe keeps google-gax from asking the auth library (and the metadata server) for it.
  const options: VertexClientOptions = {
    apiEndpoint: match[1],
    port: Number(match[2]),
    universeDomain: "googleapis.com",
  };
  if (env.MODELGATE_VERTEX_INSECURE === "true") {
    // Loaded only here: grpc-js is already in memory once a gax client exists, so this costs nothing extra.
    const grpc = await import("@grpc/grpc-js");
    options.sslCreds = grpc.credentials.createInsecure();
  }
  return options;
}
