import { invalidArgument } from "./errors.js";

/**
 * Checks a traffic split against the deployed model ids it may name: whole percentages from
 * 0 to 100 that add up to 100 (an empty split is allowed only when `allowEmpty`, i.e. the
 * endpoint may serve no traffic). Returns a copy.
 */
export function checkTrafficSplit(
  split: Record<string, number> | undefined,
  allowedIds: ReadonlySet<string>,
  field: string,
  allowEmpty: boolean,
): Record<string, number> {
  const entries = Object.entries(split ?? {});
  if (entries.length === 0) {
    if (allowEmpty) return {};
    throw invalidArgument(`Field \`${field}\` must not be empty while models are deployed.`);
  }
  let sum = 0;
  for (const [id, percent] of entries) {
    if (!allowedIds.has(id)) {
      throw invalidArgument(
        `Field \`${field}\` names DeployedModel \`${id}\`, which is not deployed on this endpoint (deployed: ${
          [...allowedIds].filter((allowed) => allowed !== "0").join(", ") || "none"
        }).`,
      );
    }
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
      throw invalidArgument(
        `Field \`${field}\` gives \`${id}\` ${percent}%; percentages are whole numbers 0–100.`,
      );
    }
    sum += percent;
  }
  if (sum !== 100) {
    throw invalidArgument(`Field \`${field}\` must add up to 100, but its percentages add up to ${sum}.`);
  }
  return Object.fromEntries(entries);
}

/** Picks one deployed model id by weight; `random` returns a number in [0, 1). */
export function pickBySplit(
  split: Record<string, number>,
  random: () => number = Math.random,
): string | undefined {
  const entries = Object.entries(split).filter(([, percent]) => percent > 0);
  const total = entries.reduce((sum, [, percent]) => sum + percent, 0);
  let point = random() * total;
  for (const [id, percent] of entries) {
    point -= percent;
    if (point < 0) return id;
  }
  return entries.at(-1)?.[0];
}
