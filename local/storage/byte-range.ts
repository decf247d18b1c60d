import { rangeNotSatisfiable } from "./errors.js";

/** An inclusive byte range within an object. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The single byte range a `Range` header asks for within `size` bytes: undefined when there is no
 * usable range (absent, malformed or multi-range: served whole, as RFC 9110 allows), a 416 when
 * it lies outside the object.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    // Suffix range: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) throw rangeNotSatisfiable(size);
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) throw rangeNotSatisfiable(size);
  return { start, end };
}
