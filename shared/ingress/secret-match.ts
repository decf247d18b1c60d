import { createHash, timingSafeEqual } from "node:crypto";

/**
 * True when `presented` equals one of `secrets`, compared in constant time. Both sides are hashed first so the
 * comparison never depends on (or reveals) a secret's length, and every secret is compared so the time does not
 * say which one matched.
 */
export function matchesAnySecret(presented: string, secrets: readonly string[]): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  const candidate = digest(presented);
  let matched = false;
  for (const secret of secrets) {
    if (timingSafeEqual(candidate, digest(secret))) matched = true;
  }
  return matched;
}
