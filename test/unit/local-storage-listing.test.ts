import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ListQuery, listObjects } from "../../local/storage/object-listing.js";
import type { StoredObject } from "../../local/storage/stored-types.js";

const objectNamed = (name: string): StoredObject => ({
  bucket: "b",
  name,
  generation: "1",
  metageneration: "1",
  contentType: "text/plain",
  size: 0,
  md5Hash: "",
  crc32c: "",
  timeCreated: "",
  updated: "",
});

/** What a listing must return, all pages together: the definition, by a full scan. */
function everything(names: string[], prefix: string, delimiter: string | undefined): string[] {
  const keys = new Set<string>();
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const at = delimiter === undefined ? -1 : rest.indexOf(delimiter);
    keys.add(at >= 0 ? prefix + rest.slice(0, at + (delimiter ?? "").length) : name);
  }
  return [...keys].sort();
}

function allPages(objects: StoredObject[], query: Omit<ListQuery, "pageToken">): string[] {
  const keys: string[] = [];
  let pageToken: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = listObjects(objects, { ...query, pageToken });
    keys.push(...page.items.map((o) => o.name), ...page.prefixes);
    pageToken = page.nextPageToken;
    if (pageToken === undefined) break;
  }
  return keys.sort();
}

describe("listObjects (the local objects.list)", () => {
  it("returns, page after page, exactly what a full scan finds, with or without a delimiter", () => {
    const segment = fc.constantFrom("a", "b", "ab", "z", "ledger", "x.json");
    const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 60 }),
        fc.constantFrom("", "a", "a/", "ledger/", "b/a"),
        fc.constantFrom(undefined, "/"),
        fc.integer({ min: 1, max: 7 }),
        (names, prefix, delimiter, maxResults) => {
          const objects = [...names].sort().map(objectNamed);
          const listed = allPages(objects, {
            prefix,
            delimiter,
            includeTrailingDelimiter: false,
            startOffset: undefined,
            endOffset: undefined,
            maxResults,
          });
          expect(listed).toEqual(everything(names, prefix, delimiter));
        },
      ),
    );
  });

  it("honours startOffset and endOffset", () => {
    const objects = ["a/1", "a/2", "a/3", "a/4", "b/1"].map(objectNamed);
    const page = listObjects(objects, {
      prefix: "a/",
      delimiter: undefined,
      includeTrailingDelimiter: false,
      startOffset: "a/2",
      endOffset: "a/4",
      pageToken: undefined,
      maxResults: 10,
    });
    expect(page.items.map((o) => o.name)).toEqual(["a/2", "a/3"]);
    expect(page.nextPageToken).toBeUndefined();
  });
});
