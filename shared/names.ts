import * as z from "zod";

/** A model name: usable as a Vertex AI label value and a bucket path segment. */
export const ModelName = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}$/,
    "a model name: lowercase letters, digits, '-' or '_', starting with a letter, at most 63 characters",
  );

/** A git commit SHA, full (40) or abbreviated (at least 7), lowercase hex. */
export const CommitSha = z
  .string()
  .regex(/^[0-9a-f]{7,40}$/, "a git commit SHA (7 to 40 lowercase hex digits)");

/** A full 40-digit git commit SHA, lowercase hex: what a releases file and a releases request name. */
export const FullCommitSha = z.string().regex(/^[0-9a-f]{40}$/, "a full 40-digit commit SHA (lowercase hex)");

/** A GitHub repository as "owner/name". */
export const RepositoryName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'a repository as "owner/name"');

/** The first 12 characters of a commit, for aliases and labels (Vertex labels and aliases are length-bound). */
export function shortSha(commit: string): string {
  return commit.slice(0, 12);
}
