import { invalidArgument } from "./errors.js";

/** Slices `items` into a page; page tokens are opaque offsets, like the real API's are opaque. */
export function paginate<T>(
  items: readonly T[],
  pageSize: number,
  pageToken: string,
): { items: T[]; nextPageToken: string } {
  let offset = 0;
  if (pageToken) {
    const decoded = Number(
      Buffer.from(pageToken, "base64url")
        .toString("utf8")
        .replace(/^offset:/, ""),
    );
    if (!Number.isInteger(decoded) || decoded < 0)
      throw invalidArgument(`Invalid page_token \`${pageToken}\`.`);
    offset = decoded;
  }
  if (pageSize < 0) throw invalidArgument(`page_size must not be negative, got ${pageSize}.`);
  const size = pageSize > 0 ? pageSize : 100;
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    nextPageToken: end < items.length ? Buffer.from(`offset:${end}`).toString("base64url") : "",
  };
}
