/**
 * One error hierarchy for modelgate. Every error has a stable `code`, an optional `cause`, and says whether
 * retrying can help: the runtime wrapper throws retryable errors (the platform redelivers) and records
 * permanent ones (ledger + log + acknowledge).
 */
export const ErrorCode = {
  invalidMessage: "INVALID_MESSAGE",
  invalidConfig: "INVALID_CONFIG",
  invalidArtifact: "INVALID_ARTIFACT",
  forbidden: "FORBIDDEN",
  notFound: "NOT_FOUND",
  claimHeld: "CLAIM_HELD",
  transient: "TRANSIENT",
  upstream: "UPSTREAM",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ModelgateErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  details?: Record<string, unknown>;
}

/** Base of every modelgate error: a stable code, a cause, and whether retrying may succeed. */
export class ModelgateError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ModelgateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }

  /** A JSON-safe view for logs and ledger records (never includes secrets: callers put none in messages). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
      ...(this.cause === undefined ? {} : { cause: describeCause(this.cause) }),
    };
  }
}

/**
 * The base of an error class that differs from its siblings only by its code (and, for a retryable one, that it
 * always is): `class XError extends errorWithCode(ErrorCode.x) {}`. Its name is still the subclass's own.
 */
function errorWithCode(code: ErrorCode, fixed: { retryable?: true } = {}) {
  return class extends ModelgateError {
    constructor(message: string, options: ModelgateErrorOptions = {}) {
      super(code, message, { ...options, ...fixed });
    }
  };
}

/** A message, event or request that does not satisfy its contract. Permanent. */
export class ValidationError extends ModelgateError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>;
  constructor(
    message: string,
    issues: ReadonlyArray<{ path: string; message: string }> = [],
    options: ModelgateErrorOptions = {},
  ) {
    super(ErrorCode.invalidMessage, message, { ...options, details: { issues, ...options.details } });
    this.issues = issues;
  }
}

/** The configuration file or environment is wrong; raised at start, names the field. Permanent. */
export class ConfigError extends errorWithCode(ErrorCode.invalidConfig) {}

/** An artifact (modelgate.json, model files) is missing, malformed or does not match the event. Permanent. */
export class ArtifactError extends errorWithCode(ErrorCode.invalidArtifact) {}

/** The caller is known but not allowed to do this (repository, namespace, promoter). Permanent. */
export class ForbiddenError extends errorWithCode(ErrorCode.forbidden) {}

/** A resource does not exist. Retryable only when it may still appear (say so with `retryable`). */
export class NotFoundError extends errorWithCode(ErrorCode.notFound) {}

/** Another attempt holds the claim for this step right now: try again later. Retryable. */
export class ClaimHeldError extends errorWithCode(ErrorCode.claimHeld, { retryable: true }) {}

/** A passing fault (network, UNAVAILABLE, RESOURCE_EXHAUSTED, timeouts). Retryable. */
export class TransientError extends errorWithCode(ErrorCode.transient, { retryable: true }) {}

/** An upstream service refused the request for good (INVALID_ARGUMENT, FAILED_PRECONDITION that cannot clear). */
export class UpstreamError extends errorWithCode(ErrorCode.upstream) {}

/** True when the platform should redeliver: modelgate errors say so; unknown errors are assumed transient. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ModelgateError) return error.retryable;
  return true;
}

/** A short JSON-safe description of any thrown value, for logs and the ledger. */
export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof ModelgateError) return error.toJSON();
  if (error instanceof Error) {
    const extra = error as Error & { code?: unknown; details?: unknown; metadata?: unknown };
    return {
      name: error.name,
      message: error.message,
      ...(extra.code === undefined ? {} : { code: extra.code }),
      ...(typeof extra.details === "string" ? { details: extra.details } : {}),
      ...(error.cause === undefined ? {} : { cause: describeCause(error.cause) }),
    };
  }
  return { message: String(error) };
}

function describeCause(cause: unknown): Record<string, unknown> {
  return describeError(cause);
}
