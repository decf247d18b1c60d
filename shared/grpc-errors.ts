import { ModelgateError, NotFoundError, TransientError, UpstreamError } from "./errors.js";

/** gRPC status codes (from google.rpc.Code), kept here so no gRPC library is loaded to classify an error. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const transientCodes = new Set<number>([
  GrpcCode.CANCELLED,
  GrpcCode.UNKNOWN,
  GrpcCode.DEADLINE_EXCEEDED,
  GrpcCode.RESOURCE_EXHAUSTED,
  GrpcCode.ABORTED,
  GrpcCode.INTERNAL,
  GrpcCode.UNAVAILABLE,
]);

const networkErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/**
 * Maps an error from a Google client (gRPC status or HTTP ApiError) to a modelgate error:
 * UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, 429, 5xx and network errors are transient;
 * INVALID_ARGUMENT, FAILED_PRECONDITION, PERMISSION_DENIED and other 4xx are permanent.
 */
export function classifyClientError(error: unknown, action: string): ModelgateError {
  if (error instanceof ModelgateError) return error;
  const e = error as { code?: unknown; message?: unknown; details?: unknown };
  const message = `${action} failed: ${typeof e.message === "string" ? e.message : String(error)}`;
  const details = typeof e.details === "string" ? { details: e.details } : {};
  if (typeof e.code === "string" && networkErrorCodes.has(e.code)) {
    return new TransientError(message, { cause: error, details: { ...details, code: e.code } });
  }
  if (typeof e.code === "number") {
    // HTTP status codes from the JSON APIs.
    if (e.code >= 100) {
      if (e.code === 429 || e.code >= 500 || e.code === 408) {
        return new TransientError(message, { cause: error, details: { ...details, httpStatus: e.code } });
      }
      if (e.code === 404) return new NotFoundError(message, { cause: error, details: { httpStatus: 404 } });
      return new UpstreamError(message, { cause: error, details: { ...details, httpStatus: e.code } });
    }
    if (transientCodes.has(e.code)) {
      return new TransientError(message, { cause: error, details: { ...details, grpcCode: e.code } });
    }
    if (e.code === GrpcCode.NOT_FOUND) {
      return new NotFoundError(message, { cause: error, details: { ...details, grpcCode: e.code } });
    }
    return new UpstreamError(message, { cause: error, details: { ...details, grpcCode: e.code } });
  }
  // No code at all: most likely a network-level failure inside the client; let the platform retry.
  return new TransientError(message, { cause: error });
}
