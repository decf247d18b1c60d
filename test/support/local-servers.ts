import {
  type LocalServers,
  type LocalServersOptions,
  startLocalServers as start,
} from "../../local/servers.js";
import { loadConfig } from "../../shared/config.js";
import { createRuntime, type Runtime } from "../../shared/runtime.js";

export interface TestServers extends LocalServers {
  /** A runtime with the real adapters (Cloud Storage, Pub/Sub) against these servers. */
  runtime(extraEnv?: Record<string, string>): Runtime;
}

/**
 * Starts the local Cloud Storage, Pub/Sub and Vertex AI servers with the committed example configuration: bucket,
 * topics and subscriptions (pull, no push), the model's endpoint, and the example data seeded. Close in afterAll.
 */
export async function startLocalServers(options: Partial<LocalServersOptions> = {}): Promise<TestServers> {
  const config = options.config ?? loadConfig({});
  const servers = await start({ ...options, config, vertex: { operationDelayMs: 5, ...options.vertex } });
  return {
    ...servers,
    runtime: (extraEnv = {}) => {
      const runtime = createRuntime({ ...servers.env, ...extraEnv });
      // Tests compare against the same configuration object the servers were built from.
      return { ...runtime, config };
    },
  };
}
