import type { TopicName } from "../topology.js";

/** Request headers as Node hands them over (names lowercased, repeated headers as arrays). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** What an ingress handler sees of an HTTP request: never the framework's request object. */
export interface IngressRequest {
  method: string;
  headers: RequestHeaders;
  /** The raw request bytes, exactly as received (signatures are computed over these). */
  body: Buffer;
}

/** What an ingress response says happened, in one word. */
export const IngressStatus = {
  ok: "ok",
  accepted: "accepted",
  recorded: "recorded",
  ignored: "ignored",
  duplicate: "duplicate",
  inProgress: "in-progress",
  refused: "refused",
  error: "error",
} as const;
export type IngressStatus = (typeof IngressStatus)[keyof typeof IngressStatus];

/** One message an ingress function published. */
export interface PublishedRef {
  topic: TopicName;
  /** The model the message is about; none for a message about a repository commit (releases-requested). */
  model?: string;
  commit: string;
  messageId: string;
}

/** The JSON body of every ingress response. */
export interface IngressBody {
  status: IngressStatus;
  reason?: string;
  published?: PublishedRef[];
}

export interface IngressResponse {
  statusCode: number;
  body: IngressBody;
  headers?: Record<string, string>;
}

/** An ingress function's logic: a plain function from request to response. */
export type IngressHandler = (request: IngressRequest) => Promise<IngressResponse>;

/** Builds a response; `reason` and `published` are left out when not given. */
export function respond(
  statusCode: number,
  status: IngressStatus,
  reason?: string,
  extra: { published?: PublishedRef[]; headers?: Record<string, string> } = {},
): IngressResponse {
  return {
    statusCode,
    body: {
      status,
      ...(reason === undefined ? {} : { reason }),
      ...(extra.published === undefined ? {} : { published: extra.published }),
    },
    ...(extra.headers === undefined ? {} : { headers: extra.headers }),
  };
}

/** A header's value by case-insensitive name; the first one when repeated. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

// RFC 9110 media type: type "/" subtype, both tokens; bounded, since the value is echoed in refusals and logs.
const mediaTypePattern = /^[a-z0-9!#$%&'*+.^_`|~-]{1,63}\/[a-z0-9!#$%&'*+.^_`|~-]{1,63}$/;

/**
 * The media type of Content-Type, lowercased and without parameters ("application/json; charset=utf-8" →
 * "application/json"); "(malformed)" when it is not a media type, so a hostile value is never echoed.
 */
export function mediaType(headers: RequestHeaders): string | undefined {
  const value = headerValue(headers, "content-type");
  const type = value?.split(";", 1)[0]?.trim().toLowerCase();
  if (type === undefined || type === "") return undefined;
  return mediaTypePattern.test(type) ? type : "(malformed)";
}
