import { refuse } from "./early-answer.js";
import { type IngressRequest, mediaType } from "./http.js";

/**
 * Refuses (415) a Content-Type outside `accepted`; `reason` gets the media type as shown ("(none)" when absent,
 * "(malformed)" when it is not one, so a hostile value is never echoed).
 */
export function requireMediaType(
  request: IngressRequest,
  accepted: readonly string[],
  reason: (shown: string) => string,
): void {
  const type = mediaType(request.headers);
  if (type === undefined || !accepted.includes(type)) throw refuse(415, reason(type ?? "(none)"));
}

/**
 * Refuses (413) a body over `maxBytes`. The body guard has refused it before the handler runs when the function is
 * served; this holds the handler to the same limit when it is called directly.
 */
export function requireBodyWithin(request: IngressRequest, maxBytes: number, limit: string): void {
  if (request.body.length > maxBytes) throw refuse(413, `the body is ${request.body.length} bytes; ${limit}`);
}

/** Refuses (400) an empty body. */
export function requireBody(request: IngressRequest): void {
  if (request.body.length === 0) throw refuse(400, "the request has no body");
}

/** The body parsed as JSON; refused (400) when it is not JSON. */
export function requireJsonBody(request: IngressRequest): unknown {
  try {
    return JSON.parse(request.body.toString("utf8"));
  } catch {
    throw refuse(400, "the body is not valid JSON");
  }
}
