import type { IncomingHttpHeaders } from "node:http";

/** The Cloud Storage IAM permissions the local server checks, by the names IAM uses. */
export const StoragePermission = {
  bucketsCreate: "storage.buckets.create",
  bucketsGet: "storage.buckets.get",
  bucketsList: "storage.buckets.list",
  bucketsDelete: "storage.buckets.delete",
  objectsCreate: "storage.objects.create",
  objectsGet: "storage.objects.get",
  objectsList: "storage.objects.list",
  objectsUpdate: "storage.objects.update",
  objectsDelete: "storage.objects.delete",
} as const;
export type StoragePermission = (typeof StoragePermission)[keyof typeof StoragePermission];

/** What the authorize hook learns about the caller. */
export interface StorageRequestInfo {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /**
   * Who is calling: the identity of the per-identity listener the request came in on, else the bearer token from
   * `Authorization: Bearer <token>`, if any.
   */
  identity: string | undefined;
  /** The identity the listener the request came in on belongs to; undefined on the default (admin) port. */
  listener?: string;
}

/** What the caller is trying to do, in IAM terms. */
export interface StorageAccess {
  permission: StoragePermission;
  bucket?: string;
  object?: string;
  /** For storage.objects.list: the `prefix` the listing asks for ("" when none), as IAM's objectListPrefix. */
  listPrefix?: string;
}

/** Decides whether a request may proceed; a `false` becomes a 403 with Google's error body. */
export type Authorize = (request: StorageRequestInfo, access: StorageAccess) => boolean | Promise<boolean>;

/** The default hook: everyone may do everything, as with an emulator. */
export const allowAll: Authorize = () => true;

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerIdentity(headers: IncomingHttpHeaders): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? "");
  return match?.[1];
}
