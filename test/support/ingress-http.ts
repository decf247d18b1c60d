import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { guardServerBodies } from "../../shared/ingress/body-guard.js";

/** A registered function served by the Functions Framework on an ephemeral loopback port. */
export interface ServedFunction {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves a function registered with the Functions Framework, as `functions-framework --target` would: an ingress
 * function's request bodies are guarded as in its own process (the guard knows the process's target; here it is
 * told the server's).
 */
export async function serveFunction(name: string): Promise<ServedFunction> {
  const server: Server = getTestServer(name);
  guardServerBodies(server, name);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((error) => (error ? fail(error) : done()));
      }),
  };
}

/** POSTs (or sends `method`) and returns the status and the parsed JSON body, if any. */
export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; body: Record<string, unknown> | undefined; headers: Headers }> {
  const response = await fetch(url, {
    method: init.method ?? "POST",
    ...(init.headers === undefined ? {} : { headers: init.headers }),
    // fetch takes bytes as a Uint8Array view; a Buffer is one, but its type is not BodyInit under Node 20's types.
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === "string" ? init.body : new Uint8Array(init.body) }),
  });
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, headers: response.headers };
}
