import type { ClientOptions } from "google-gax";
import { classifyClientError } from "../grpc-errors.js";
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

/**
 * What every Vertex AI adapter shares: its one service client, closed by `close()`, and `call()`, which classifies a
 * failed call. Each adapter hands `create` here, importing the client's own module by name (not the package index,
 * which loads every service), so a function's bundle carries only the services it calls.
 */
export abstract class VertexServiceAdapter<C extends { close(): Promise<void> }> {
  protected readonly client: LazyClient<C>;

  constructor(location: VertexLocation, create: (options: ClientOptions) => Promise<C>) {
    this.client = lazyClient(location, create);
  }

  /** Closes the client's channel, if it was opened. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** One call on the client; a failure is classified (retryable or not) and named after the API method. */
  protected async call<R>(method: string, run: (client: C) => Promise<R>): Promise<R> {
    const client = await this.client();
    try {
      return await run(client);
    } catch (error) {
      throw classifyClientError(error, method);
    }
  }
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
