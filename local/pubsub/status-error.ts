import { status } from "@grpc/grpc-js";

/** A refusal with a gRPC status code and the message the real service would give. */
export class PubSubStatusError extends Error {
  readonly code: status;
  readonly details: string;

  constructor(code: status, details: string) {
    super(details);
    this.name = "PubSubStatusError";
    this.code = code;
    this.details = details;
  }
}

// The real service names the resource by its id, not its full name: "Resource not found (resource=chat-sub)."
// (as gcloud and the client libraries print it); gcloud's emulator words these differently ("Topic not found").
const idOf = (resource: string) => resource.slice(resource.lastIndexOf("/") + 1);

/** NOT_FOUND worded like the real service. */
export function notFound(resource: string): PubSubStatusError {
  return new PubSubStatusError(status.NOT_FOUND, `Resource not found (resource=${idOf(resource)}).`);
}

/** ALREADY_EXISTS worded like the real service. */
export function alreadyExists(resource: string): PubSubStatusError {
  return new PubSubStatusError(
    status.ALREADY_EXISTS,
    `Resource already exists in the project (resource=${idOf(resource)}).`,
  );
}

/** INVALID_ARGUMENT with the given explanation. */
export function invalidArgument(details: string): PubSubStatusError {
  return new PubSubStatusError(status.INVALID_ARGUMENT, details);
}

/** UNIMPLEMENTED for a feature the local server deliberately does not emulate. */
export function unimplemented(feature: string): PubSubStatusError {
  return new PubSubStatusError(
    status.UNIMPLEMENTED,
    `${feature} is not supported by the local Pub/Sub server.`,
  );
}
