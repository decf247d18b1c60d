import type { IncomingMessage, ServerResponse } from "node:http";
import { badRequest, payloadTooLarge, type StorageApiError } from "./errors.js";

/**
 * Reads the whole request body, refusing more than `limit` bytes with a 413. The rest of an
 * oversized body is drained rather than the socket cut, so the caller can read the 413.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        reject(payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Parses a JSON request body; an empty body is `undefined`, a malformed one a 400. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw badRequest(`Request body is not valid JSON: ${(error as Error).message}`, "parseError");
  }
}

/** Sends a JSON response. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    "Content-Type": "application/json; charset=UTF-8",
    "Content-Length": String(data.length),
    ...headers,
  });
  res.end(data);
}

/** Sends an empty response (204, 308...). */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}) {
  res.writeHead(status, { "Content-Length": "0", ...headers });
  res.end();
}

/** Sends Google's JSON error body for `error` (304 goes without a body, as HTTP requires). */
export function sendError(res: ServerResponse, error: StorageApiError) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error.code === 304) {
    sendEmpty(res, 304, error.headers);
    return;
  }
  sendJson(res, error.code, error.toJSON(), error.headers);
}
