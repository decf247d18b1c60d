import { type CloudEvent, HTTP } from "cloudevents";
import { ValidationError } from "../../shared/errors.js";
import { type IngressRequest, mediaType } from "../../shared/ingress/http.js";

/** Media types the sink reads: binary mode carries the data as JSON, structured mode the whole event. */
export const CloudEventMediaType = {
  binary: "application/json",
  structured: "application/cloudevents+json",
} as const;

/**
 * Reads a binary- or structured-mode CloudEvent from a request with the CloudEvents SDK and validates it
 * explicitly (`HTTP.toEvent` does not). Throws ValidationError saying what is wrong.
 */
export function parseCloudEvent(request: IngressRequest): CloudEvent<unknown> {
  const type = mediaType(request.headers);
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString("utf8"));
  } catch (error) {
    throw new ValidationError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  // The SDK looks parsers up by the exact media type and reads `ce-` extensions from lowercase names only.
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name.toLowerCase()] = first;
  }
  if (type !== undefined) headers["content-type"] = type;
  if (type === CloudEventMediaType.structured) {
    // The SDK invents an id when a structured event has none; deduplication needs the sender's.
    const id = (body as { id?: unknown } | null)?.id;
    if (typeof id !== "string" || id === "") throw new ValidationError("the structured CloudEvent has no id");
  }
  let event: CloudEvent<unknown> | CloudEvent<unknown>[];
  try {
    // The SDK types the result as the CloudEventV1 interface; at run time it is a CloudEvent instance.
    event = HTTP.toEvent({ headers, body }) as CloudEvent<unknown> | CloudEvent<unknown>[];
  } catch (error) {
    throw new ValidationError(`the request is not a CloudEvent: ${(error as Error).message}`, [], {
      cause: error,
    });
  }
  if (Array.isArray(event)) throw new ValidationError("batched CloudEvents are not accepted");
  try {
    event.validate();
  } catch (error) {
    const errors = (error as { errors?: unknown }).errors;
    const detail = Array.isArray(errors) && errors.length > 0 ? `: ${JSON.stringify(errors)}` : "";
    throw new ValidationError(`invalid CloudEvent ${(error as Error).message}${detail}`, [], {
      cause: error,
    });
  }
  return event;
}
