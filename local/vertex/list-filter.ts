import { invalidArgument } from "./errors.js";
import { paginate } from "./pagination.js";

/** One comparison of an AIP-160 list filter, e.g. `labels.team="fraud"`. */
export interface FilterTerm {
  field: string;
  op: "=" | "!=" | ":";
  value: string;
}

const termPattern =
  /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)?)\s*(!=|=|:)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))\s*$/;

/**
 * Parses the subset of the list filter syntax this server supports: comparisons joined by AND,
 * on `labels.KEY` (`=`, `!=`, `:*` for presence) and the plain fields in `fields`
 * (snake_case or camelCase). Anything else is refused with INVALID_ARGUMENT naming the term.
 */
export function parseListFilter(filter: string, fields: readonly string[]): FilterTerm[] {
  if (filter.trim() === "") return [];
  return filter.split(/\s+AND\s+/).map((raw) => {
    const match = termPattern.exec(raw);
    if (!match) throw invalidArgument(`Unsupported filter term \`${raw.trim()}\` in filter \`${filter}\`.`);
    const field = toSnakeCase(match[1] ?? "");
    const op = match[2] as FilterTerm["op"];
    const value = match[3] !== undefined ? match[3].replace(/\\(.)/g, "$1") : (match[4] ?? "");
    if (!field.startsWith("labels.") && !fields.includes(field)) {
      throw invalidArgument(
        `Unsupported filter field \`${match[1]}\` in filter \`${filter}\`; supported: labels.KEY, ${fields.join(", ")}.`,
      );
    }
    if (op === ":" && !(field.startsWith("labels.") && value === "*")) {
      throw invalidArgument(
        `Unsupported filter term \`${raw.trim()}\`: \`:\` is supported only as labels.KEY:*.`,
      );
    }
    return { field, op, value };
  });
}

/** Whether a resource passes every term; `read` returns a plain field's value as a string. */
export function matchesFilter(
  terms: readonly FilterTerm[],
  labels: Record<string, string> | undefined,
  read: (field: string) => string | undefined,
): boolean {
  return terms.every(({ field, op, value }) => {
    const actual = field.startsWith("labels.") ? labels?.[field.slice("labels.".length)] : read(field);
    if (op === ":") return actual !== undefined;
    if (op === "!=") return actual !== value;
    return actual === value;
  });
}

function toSnakeCase(field: string): string {
  if (field.startsWith("labels.")) return field;
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** The filter and paging fields of a List request. */
export interface ListRequest {
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}

/**
 * The page of `items` that pass the request's filter: `fields` are the plain fields the filter may name besides
 * labels, `read` gives an item's value of one.
 */
export function filteredPage<T extends { labels?: Record<string, string> }>(
  items: readonly T[],
  request: ListRequest,
  fields: readonly string[],
  read: (item: T, field: string) => string | undefined,
): { items: T[]; nextPageToken: string } {
  const terms = parseListFilter(request.filter ?? "", fields);
  const matching = items.filter((item) => matchesFilter(terms, item.labels, (field) => read(item, field)));
  return paginate(matching, request.pageSize ?? 0, request.pageToken ?? "");
}
