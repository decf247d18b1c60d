import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage, Server } from "node:http";
import { parseArgs } from "node:util";
import getRawBody from "raw-body";

// The Functions Framework reads, inflates and parses every request body before a function runs (body-parser with a
// 1 GB limit, and no option to change it): a 306 KB gzip bomb became 314 MB of body, a 30 MB `[{},{},…]` ~1 GB of
// heap. Ingress functions are public, so their bodies must not reach body-parser. Node publishes each request on the
// `http.server.request.start` diagnostics channel before the server's 'request' listeners (the framework's Express
// app) run; there the guard takes the body over: it refuses a compressed body, and removes the headers that announce
// a body (Content-Length, Transfer-Encoding), so body-parser passes the request through unread. The function then
// reads the raw bytes itself, at most the limit, and parses only what it has authenticated. See docs/ingress.md.

/** Why a body was refused before anything read it: the HTTP status and a reason safe to log and answer. */
export interface BodyRefusal {
  statusCode: number;
  reason: string;
}

/** A guarded request's body: its bytes, a refusal, or `unguarded` when the guard did not take the request over. */
export type GuardedBody =
  | { kind: "bytes"; bytes: Buffer }
  | ({ kind: "refused" } & BodyRefusal)
  | { kind: "unguarded" };

type Claim = { refusal: BodyRefusal } | { maxBytes: number; length: number | undefined };

const limits = new Map<string, number>();
const guardedServers = new WeakMap<Server, string>();
const claims = new WeakMap<IncomingMessage, Claim>();
let subscribed = false;
let processTarget: string | undefined;

/**
 * Guards the request bodies of `functionName` in this process: at most `maxBytes`, identity encoding only, never
 * parsed by the framework. Applies when the process serves that function, which the Functions Framework reads from
 * `--target` or FUNCTION_TARGET (Cloud Run functions sets it), or to a server passed to `guardServerBodies`.
 */
export function guardRequestBodies(functionName: string, maxBytes: number): void {
  limits.set(functionName, maxBytes);
  if (subscribed) return;
  subscribed = true;
  processTarget = servedTarget(process.argv.slice(2), process.env);
  subscribe("http.server.request.start", (message) => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    const name = guardedServers.get(server) ?? processTarget;
    const maxBytes = name === undefined ? undefined : limits.get(name);
    if (maxBytes === undefined) return;
    claims.set(request, claimBody(request, maxBytes));
    // body-parser reads only a request that announces a body; this one it now passes through unread.
    delete request.headers["content-length"];
    delete request.headers["transfer-encoding"];
  });
}

/** Guards the bodies of one server that serves `functionName` in-process (the framework's `getTestServer`). */
export function guardServerBodies(server: Server, functionName: string): void {
  if (limits.has(functionName)) guardedServers.set(server, functionName);
}

/** The function the Functions Framework serves in this process, read as it reads it (`--target`, FUNCTION_TARGET). */
export function servedTarget(args: string[], env: Record<string, string | undefined>): string | undefined {
  const { values } = parseArgs({ args, options: { target: { type: "string" } }, strict: false });
  return typeof values.target === "string" ? values.target : env.FUNCTION_TARGET;
}

/**
 * Reads a guarded request's raw body: at most its limit (413 past it, even when no Content-Length announced the
 * size), and exactly the announced length (400 otherwise). A refused request is left paused, unread.
 */
export async function readGuardedBody(request: IncomingMessage): Promise<GuardedBody> {
  const claim = claims.get(request);
  if (claim === undefined) return { kind: "unguarded" };
  if ("refusal" in claim) return { kind: "refused", ...claim.refusal };
  try {
    const bytes = await getRawBody(request, { limit: claim.maxBytes, length: claim.length ?? null });
    return { kind: "bytes", bytes };
  } catch (error) {
    const { type } = error as { type?: string };
    if (type === "entity.too.large") return { kind: "refused", ...tooLarge(claim.maxBytes) };
    return {
      kind: "refused",
      statusCode: 400,
      reason:
        type === "request.size.invalid"
          ? "the body is not as long as its Content-Length says"
          : "the request body could not be read (the client stopped sending it)",
    };
  }
}

function claimBody(request: IncomingMessage, maxBytes: number): Claim {
  const encoding = request.headers["content-encoding"]?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== "" && encoding !== "identity") {
    const shown = /^[a-z0-9-]{1,32}$/.test(encoding) ? encoding : "(malformed)";
    return {
      refusal: {
        statusCode: 415,
        reason: `Content-Encoding ${shown} is not accepted; send the body uncompressed (identity)`,
      },
    };
  }
  const announced = request.headers["content-length"];
  const length = announced === undefined ? undefined : Number(announced);
  if (length !== undefined && length > maxBytes) return { refusal: tooLarge(maxBytes) };
  return { maxBytes, length };
}

function tooLarge(maxBytes: number): BodyRefusal {
  return { statusCode: 413, reason: `the body is over ${maxBytes} bytes, the most this function accepts` };
}
