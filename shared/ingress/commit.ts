import { CommitSha } from "../names.js";

/**
 * True when two commit SHAs name the same commit as far as they can tell: equal, or one is an abbreviation
 * (a prefix of at least 7 hex digits) of the other. Tekton results carry the full 40-digit SHA while an artifact
 * directory may use the short form it was given.
 */
export function sameCommit(a: string, b: string): boolean {
  if (!CommitSha.safeParse(a).success || !CommitSha.safeParse(b).success) return false;
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}
