/** One entry of the `errors` array in Google's JSON API error body. */
export interface GoogleErrorDetail {
  message: string;
  domain: string;
  reason: string;
  locationType?: string;
  location?: string;
}

/**
 * An error the server answers with Google's JSON error body, so the real client turns it into
 * an `ApiError` with the same `code` and `errors[].reason` it would get from Cloud Storage.
 */
export class StorageApiError extends Error {
  readonly code: number;
  readonly detail: GoogleErrorDetail;
  /** Extra response headers (e.g. Content-Range on a 416). */
  readonly headers: Record<string, string>;

  constructor(
    code: number,
    message: string,
    reason: string,
    extra: { locationType?: string; location?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "StorageApiError";
    this.code = code;
    this.detail = { message, domain: "global", reason };
    if (extra.locationType !== undefined) this.detail.locationType = extra.locationType;
    if (extra.location !== undefined) this.detail.location = extra.location;
    this.headers = extra.headers ?? {};
  }

  /** The body Cloud Storage sends with this status. */
  toJSON(): { error: { code: number; message: string; errors: GoogleErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, errors: [this.detail] } };
  }
}

/** 400 for a request the server cannot make sense of. */
export function badRequest(message: string, reason = "invalid"): StorageApiError {
  return new StorageApiError(400, message, reason);
}

/** 403 when the `authorize` hook refuses the caller. */
export function forbidden(
  identity: string | undefined,
  permission: string,
  resource: string,
): StorageApiError {
  const who = identity === undefined ? "Anonymous caller" : "The caller";
  return new StorageApiError(
    403,
    `${who} does not have ${permission} access to the Google Cloud Storage ${resource}. Permission '${permission}' denied on resource (or it may not exist).`,
    "forbidden",
  );
}

/** 404 for an object that does not exist (or not at the requested generation). */
export function noSuchObject(bucket: string, name: string): StorageApiError {
  return new StorageApiError(404, `No such object: ${bucket}/${name}`, "notFound");
}

/** 404 for a bucket that does not exist. */
export function noSuchBucket(): StorageApiError {
  return new StorageApiError(404, "The specified bucket does not exist.", "notFound");
}

/** 404 for a path the JSON API does not have. */
export function noSuchRoute(method: string, path: string): StorageApiError {
  return new StorageApiError(404, `Not Found: no route for ${method} ${path}`, "notFound");
}

/** 409 when a bucket name is taken. */
export function bucketExists(): StorageApiError {
  return new StorageApiError(
    409,
    "Your previous request to create the named bucket succeeded and you already own it.",
    "conflict",
  );
}

/** 409 when deleting a bucket that still holds objects. */
export function bucketNotEmpty(): StorageApiError {
  return new StorageApiError(409, "The bucket you tried to delete is not empty.", "conflict");
}

/** 412 with exactly the body Cloud Storage sends for a failed precondition. */
export function preconditionFailed(): StorageApiError {
  return new StorageApiError(
    412,
    "At least one of the pre-conditions you specified did not hold.",
    "conditionNotMet",
    {
      locationType: "header",
      location: "If-Match",
    },
  );
}

/** 304 when an `if*NotMatch` condition did not hold, as Cloud Storage answers. */
export function notModified(): StorageApiError {
  return new StorageApiError(304, "Not Modified", "notModified");
}

/** 413 when a body exceeds the server's limit. */
export function payloadTooLarge(limit: number): StorageApiError {
  return new StorageApiError(
    413,
    `Request body exceeds the local server's limit of ${limit} bytes.`,
    "uploadTooLarge",
  );
}

/** 416 for a Range outside the object. */
export function rangeNotSatisfiable(size: number): StorageApiError {
  return new StorageApiError(
    416,
    "The requested range cannot be satisfied.",
    "requestedRangeNotSatisfiable",
    {
      headers: { "Content-Range": `bytes */${size}` },
    },
  );
}
