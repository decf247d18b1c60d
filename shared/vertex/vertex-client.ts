import type { ClientOptions } from "google-gax";
import type { VertexEndpoint } from "../settings.js";
import { vertexClientOptions } from "./client-options.js";

/** Where the adapters' Vertex AI resources live, and how to reach the API. */
export interface VertexLocation {
  /** The configured endpoint (settings' vertexEndpoint); undefined → the regional Google endpoint. */
  endpoint: VertexEndpoint | undefined;
  region: string;
  /** `projects/<project>/locations/<region>` */
  parent: string;
}

/** A client made on first use; `close()` closes it if it was ever made. */
export type LazyClient<C> = (() => Promise<C>) & { close(): Promise<void> };

/**
 * A loader that creates one service client on first use and reuses it: the client module is imported only then
 * (cold starts pay for the one service a function calls), and a failed load is forgotten so the next call retries.
 */
export function lazyClient<C extends { close(): Promise<void> }>(
  location: VertexLocation,
  create: (options: ClientOptions) => Promise<C>,
): LazyClient<C> {
  let client: Promise<C> | undefined;
  const get = () => {
    client ??= vertexClientOptions(location.endpoint, location.region)
      .then(create)
      .catch((error: unknown) => {
        client = undefined;
        throw error;
      });
    return client;
  };
  return Object.assign(get, {
    close: async () => {
      const made = client;
      client = undefined;
      if (made) await (await made).close();
    },
  });
}

/** A list filter that matches resources carrying all these labels (`labels.k="v" AND …`). */
export function labelFilter(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `labels.${key}=${JSON.stringify(value)}`)
    .join(" AND ");
}

/** A plain JSON copy of a client response: protobuf messages serialise through toJSON (enums as names). */
export function plainMessage(message: unknown): unknown {
  if (message === undefined || message === null) return null;
  return JSON.parse(JSON.stringify(message));
}
