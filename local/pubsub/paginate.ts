import { invalidArgument } from "./status-error.js";

/** One page of a list and the token for the next, if any. */
export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

/** Pages a sorted list with an offset token; page size 0 means "the service default" (here: everything). */
export function paginate<T>(
  all: readonly T[],
  request: { pageSize?: unknown; pageToken?: unknown },
): Page<T> {
  const token = typeof request.pageToken === "string" ? request.pageToken : "";
  const offset = token === "" ? 0 : Number(token);
  if (!Number.isInteger(offset) || offset < 0) throw invalidArgument(`Invalid page_token given: ${token}`);
  const pageSize = Number(request.pageSize ?? 0);
  if (!Number.isInteger(pageSize) || pageSize < 0)
    throw invalidArgument(`Invalid page_size given: ${pageSize}`);
  const end = pageSize === 0 ? all.length : Math.min(all.length, offset + pageSize);
  return { items: all.slice(offset, end), nextPageToken: end < all.length ? String(end) : "" };
}

/** A List call's answer: one page of `all` under the field the API names (`topics`, `subscriptions`). */
export function listResponse<K extends string, T>(
  field: K,
  all: readonly T[],
  request: { pageSize?: unknown; pageToken?: unknown },
): Record<K, T[]> & { nextPageToken: string } {
  const page = paginate(all, request);
  return { [field]: page.items, nextPageToken: page.nextPageToken } as Record<K, T[]> & {
    nextPageToken: string;
  };
}

/** The field paths of an Update call's `update_mask` (none when absent). */
export function updateMaskPaths(request: { updateMask?: unknown }): string[] {
  const mask = request.updateMask as { paths?: string[] } | null | undefined;
  return mask?.paths ?? [];
}
