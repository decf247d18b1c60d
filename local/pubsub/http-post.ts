import http from "node:http";
import https from "node:https";

/** What came of one POST: a status, or the connection-level error that prevented one. */
export type PostOutcome = { status: number } | { error: string };

/** Keep-alive agents shared by all deliveries, destroyed when the server closes. */
export interface HttpAgents {
  http: http.Agent;
  https: https.Agent;
}

/** Creates the keep-alive agents used for push. */
export function createAgents(): HttpAgents {
  return { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
}

/** POSTs `body` to `url`, giving up after `timeoutMs` or when `signal` aborts; never rejects. */
export function postOnce(
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs: number,
  agents: HttpAgents,
  signal: AbortSignal,
): Promise<PostOutcome> {
  return new Promise((resolve) => {
    const secure = url.protocol === "https:";
    const send = secure ? https.request : http.request;
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const request = send(url, {
      method: "POST",
      headers: { ...headers, "content-length": String(body.length) },
      agent: secure ? agents.https : agents.http,
      signal,
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = () => finish({ error: "server closing" });
    signal.addEventListener("abort", onAbort, { once: true });
    request.on("response", (response) => {
      const status = response.statusCode ?? 0;
      // Drain the body so the keep-alive socket can be reused.
      response.resume();
      response.on("end", () => finish({ status }));
      response.on("error", () => finish({ status }));
    });
    request.on("error", (error) => finish({ error: error.message }));
    request.end(body);
  });
}
