import { Storage } from "@google-cloud/storage";
import {
  type LocalStorageServer,
  localStorageClientOptions,
  startStorageServer,
} from "../../local/storage/index.js";
import {
  type LocalVertexServer,
  startVertexServer,
  type VertexServerOptions,
} from "../../local/vertex/index.js";

/** The local Vertex AI server over a local Cloud Storage server with one bucket, and a real client on that bucket. */
export interface VertexOverBucket {
  storageServer: LocalStorageServer;
  storage: Storage;
  server: LocalVertexServer;
  /** Stops both servers. */
  close(): Promise<void>;
}

/** Starts local Cloud Storage with `bucket`, then the local Vertex AI server (operationDelayMs 5 unless given) on it. */
export async function startVertexOverBucket(
  bucket: string,
  options: Omit<VertexServerOptions, "storageApiEndpoint">,
): Promise<VertexOverBucket> {
  const storageServer = await startStorageServer({});
  storageServer.createBucket(bucket);
  const storage = new Storage(localStorageClientOptions(storageServer.url));
  const server = await startVertexServer({
    operationDelayMs: 5,
    ...options,
    storageApiEndpoint: storageServer.url,
  });
  return {
    storageServer,
    storage,
    server,
    async close() {
      await server.close();
      await storageServer.close();
    },
  };
}
