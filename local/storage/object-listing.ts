import { badRequest } from "./errors.js";
import type { StoredObject } from "./stored-types.js";

/** The listing options of `objects.list` the local server honours. */
export interface ListQuery {
  prefix: string;
  delimiter: string | undefined;
  includeTrailingDelimiter: boolean;
  startOffset: string | undefined;
  endOffset: string | undefined;
  pageToken: string | undefined;
  maxResults: number;
}

/** One page of a listing: objects and, with a delimiter, the collapsed "directory" prefixes. */
export interface ListPage {
  items: StoredObject[];
  prefixes: string[];
  nextPageToken: string | undefined;
}

const MAX_RESULTS = 1000;

/** Reads the listing query parameters, or throws a 400 naming the bad one. */
export function parseListQuery(params: URLSearchParams): ListQuery {
  const rawMax = params.get("maxResults");
  let maxResults = MAX_RESULTS;
  if (rawMax !== null) {
    if (!/^\d+$/.test(rawMax) || Number(rawMax) < 1) {
      throw badRequest(`Invalid argument: maxResults must be a positive integer, got '${rawMax}'.`);
    }
    maxResults = Math.min(Number(rawMax), MAX_RESULTS);
  }
  return {
    prefix: params.get("prefix") ?? "",
    delimiter: params.get("delimiter") || undefined,
    includeTrailingDelimiter: params.get("includeTrailingDelimiter") === "true",
    startOffset: params.get("startOffset") || undefined,
    endOffset: params.get("endOffset") || undefined,
    pageToken: params.get("pageToken") || undefined,
    maxResults,
  };
}

// The page token is the last key already returned; opaque to callers, as Cloud Storage's is.
const encodeToken = (key: string): string =>
  Buffer.from(JSON.stringify({ after: key })).toString("base64url");

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "after" in parsed &&
      typeof parsed.after === "string"
    ) {
      return parsed.after;
    }
  } catch {
    // fall through to the 400
  }
  throw badRequest(`Invalid argument: pageToken '${token}' was not issued by this server.`);
}

/**
 * One page of `objects` (sorted by name) as `objects.list` returns it. `maxResults` counts items
 * and prefixes together, as Cloud Storage does.
 */
export function listObjects(objects: readonly StoredObject[], q: ListQuery): ListPage {
  const after = q.pageToken === undefined ? undefined : decodeToken(q.pageToken);
  type Entry = { key: string; item?: StoredObject };
  const entries: Entry[] = [];
  const push = (entry: Entry) => {
    if (after === undefined || entry.key > after) entries.push(entry);
  };
  let lastPrefix: string | undefined;
  // Objects are sorted by name: start at the first that can be listed (an entry after the token comes from an
  // object named at or after it, a collapsed prefix being a prefix of its objects' names) and stop past the
  // prefix or once the page and one more entry are found, so a page costs its own length, not the bucket's.
  let from = lowerBound(objects, q.prefix);
  if (q.startOffset !== undefined) from = Math.max(from, lowerBound(objects, q.startOffset));
  if (after !== undefined) from = Math.max(from, lowerBound(objects, after));
  for (let i = from; i < objects.length && entries.length <= q.maxResults; i++) {
    const o = objects[i] as StoredObject;
    if (!o.name.startsWith(q.prefix)) break;
    if (q.endOffset !== undefined && o.name >= q.endOffset) break;
    if (q.delimiter !== undefined) {
      const rest = o.name.slice(q.prefix.length);
      const at = rest.indexOf(q.delimiter);
      if (at >= 0) {
        const collapsed = q.prefix + rest.slice(0, at + q.delimiter.length);
        if (collapsed !== lastPrefix) {
          push({ key: collapsed });
          lastPrefix = collapsed;
        }
        if (!(q.includeTrailingDelimiter && collapsed === o.name)) continue;
      }
    }
    push({ key: o.name, item: o });
  }
  const page = entries.slice(0, q.maxResults);
  const last = page.at(-1);
  return {
    items: page.flatMap((e) => (e.item === undefined ? [] : [e.item])),
    prefixes: page.flatMap((e) => (e.item === undefined ? [e.key] : [])),
    nextPageToken: entries.length > page.length && last !== undefined ? encodeToken(last.key) : undefined,
  };
}

/** The index of the first object whose name is not below `key` (objects sorted by name). */
function lowerBound(objects: readonly StoredObject[], key: string): number {
  let low = 0;
  let high = objects.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((objects[mid] as StoredObject).name < key) low = mid + 1;
    else high = mid;
  }
  return low;
}
