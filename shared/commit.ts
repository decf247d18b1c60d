import { CommitSha } from "./names.js";

/**
 * True when two commit SHAs name the same commit as far as they can tell: equal, or one is an abbreviation
 * (a prefix of at least 7 hex digits) of the other. Every step compares commits with this one function: a push
 * or a Tekton result carries the full 40-digit SHA while an artifact directory may use the short form it was given.
 */
export function sameCommit(a: string, b: string): boolean {
  if (!CommitSha.safeParse(a).success || !CommitSha.safeParse(b).success) return false;
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

/**
 * The fullest form of one commit among forms `sameCommit` accepts (the 40-digit SHA when any form is full): what
 * a registration records, so that a promotion naming the full SHA finds it.
 */
export function fullestCommit(first: string, ...others: string[]): string {
  return others.reduce((best, form) => (form.length > best.length ? form : best), first);
}

/**
 * True when two GitHub repositories ("owner/name") are the same one. GitHub resolves owner and name
 * case-insensitively (Acme/Fraud-Detector is acme/fraud-detector), so every step compares them without case.
 */
export function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
