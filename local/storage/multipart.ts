import { badRequest } from "./errors.js";

/** One part of a multipart/related body. */
export interface BodyPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** The boundary of a `multipart/related; boundary=...` content type, or a 400. */
export function multipartBoundary(contentType: string | undefined): string {
  const type = contentType ?? "";
  if (!/^multipart\/related\b/i.test(type)) {
    throw badRequest(`uploadType=multipart needs Content-Type multipart/related, got '${type || "(none)"}'.`);
  }
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) throw badRequest("The multipart/related Content-Type has no boundary.");
  return boundary;
}

/**
 * Splits a multipart/related body (RFC 2387) into its parts. Works on bytes: the media part is
 * binary and must come out bit for bit.
 */
export function parseMultipart(body: Buffer, boundary: string): BodyPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: BodyPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw badRequest("Multipart body does not contain its boundary.");
  for (;;) {
    pos += delimiter.length;
    // "--" right after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    const headerStart = body.indexOf("\r\n", pos);
    if (headerStart < 0) throw badRequest("Multipart body ends inside a part header.");
    const headerEnd = body.indexOf("\r\n\r\n", headerStart);
    if (headerEnd < 0) throw badRequest("Multipart part has no blank line after its headers.");
    const headers: Record<string, string> = {};
    for (const line of body
      .subarray(headerStart + 2, headerEnd)
      .toString("latin1")
      .split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next < 0) throw badRequest("Multipart body is missing its closing boundary.");
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
  return parts;
}
