import type { z } from "zod";

/** Flattens zod issues into `path: message` pairs, the path written as `a.b[0].c`. */
export function formatIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** One line per issue, for error messages. */
export function issuesToText(error: z.ZodError): string {
  return formatIssues(error)
    .map((i) => `${i.path || "(root)"}: ${i.message}`)
    .join("; ");
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
