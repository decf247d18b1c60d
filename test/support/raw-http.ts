import { Agent, request } from "node:http";

/** What came back for a raw request: the status, the JSON body if any, and how many body bytes had been sent. */
export interface RawAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
  /** Body bytes written before the answer arrived. */
  sentBytes: number;
  /** Whether the whole body had been written when the answer arrived. */
  ended: boolean;
}

/**
 * POSTs with node:http, writing the body from `chunks` (each awaited, so a stream of any length costs a chunk's
 * memory), and resolves as soon as the server answers, whether or not the body was all sent: a server that answers
 * before reading the body is told apart from one that buffers it first. Rejects after `timeoutMs` with no answer.
 * Without a content-length header the body goes chunked.
 */
export function rawPost(
  url: string,
  headers: Record<string, string>,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  timeoutMs = 20_000,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    let ended = false;
    let answered = false;
    // A connection of its own, kept alive: with `Connection: close` (what `agent: false` sends) Node's server closes
    // as soon as it has answered, and a client still writing gets EPIPE instead of the answer.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const req = request(url, { method: "POST", headers, agent });
    const timer = setTimeout(() => {
      req.destroy();
      agent.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms (${sentBytes} body bytes sent, ended: ${ended})`));
    }, timeoutMs);
    req.on("response", (res) => {
      answered = true;
      const sent = { sentBytes, ended };
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () => {
        clearTimeout(timer);
        req.destroy();
        agent.destroy();
        const text = Buffer.concat(parts).toString("utf8");
        let body: Record<string, unknown> | undefined;
        try {
          body = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, ...sent });
      });
    });
    // The server may close the connection while the body is still being written: that is the answer's business.
    req.on("error", () => undefined);
    void (async () => {
      for await (const chunk of chunks) {
        if (answered || req.destroyed) return;
        sentBytes += chunk.length;
        // Waits for 'drain', or at most 50 ms: a paused server must not stall the writer before its answer is read.
        if (!req.write(chunk)) {
          await new Promise<void>((done) => {
            const onDrain = () => {
              clearTimeout(fallback);
              done();
            };
            const fallback = setTimeout(() => {
              req.off("drain", onDrain);
              done();
            }, 50);
            req.once("drain", onDrain);
          });
        }
      }
      if (answered || req.destroyed) return;
      ended = true;
      req.end();
    })();
  });
}

/** `count` chunks of `size` bytes each (the same buffer, so the stream costs one chunk of memory). */
export function* repeatedChunks(chunk: Buffer, count: number): Iterable<Buffer> {
  for (let i = 0; i < count; i += 1) yield chunk;
}

/** Yields `first`, then never ends until `stop` resolves: a body whose end the server would wait for. */
export async function* neverEnding(first: Buffer, stop: Promise<void>): AsyncIterable<Buffer> {
  yield first;
  await stop;
}
