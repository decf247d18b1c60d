import { badRequest, notModified, preconditionFailed } from "./errors.js";

/** The JSON API's generation/metageneration preconditions, parsed from query parameters. */
export interface Preconditions {
  ifGenerationMatch?: bigint;
  ifGenerationNotMatch?: bigint;
  ifMetagenerationMatch?: bigint;
  ifMetagenerationNotMatch?: bigint;
}

const names = [
  "ifGenerationMatch",
  "ifGenerationNotMatch",
  "ifMetagenerationMatch",
  "ifMetagenerationNotMatch",
] as const;

/** Parses a decimal int64 query parameter, or fails with a 400 naming it. */
export function parseInt64Param(params: URLSearchParams, name: string): bigint | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d{1,19}$/.test(raw))
    throw badRequest(`Invalid argument: ${name} must be an integer, got '${raw}'.`);
  return BigInt(raw);
}

/**
 * Reads the four preconditions from the query; `prefix` "ifSource" reads the copy-source ones
 * (`ifSourceGenerationMatch`...).
 */
export function parsePreconditions(params: URLSearchParams, prefix: "if" | "ifSource" = "if"): Preconditions {
  const out: Preconditions = {};
  for (const name of names) {
    const value = parseInt64Param(params, prefix + name.slice(2));
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** True when no precondition was given. */
export function hasPreconditions(p: Preconditions): boolean {
  return names.some((n) => p[n] !== undefined);
}

/**
 * Throws when a precondition does not hold against `current` (undefined: no live object).
 * A failed `*Match` is a 412; a failed `*NotMatch` on a live object is a 304 Not Modified, as
 * Cloud Storage's JSON API answers (and Google's storage-testbench models); with no live object
 * every condition but `ifGenerationMatch=0` fails with a 412.
 */
export function checkPreconditions(
  current: { generation: string; metageneration: string } | undefined,
  p: Preconditions,
): void {
  if (current === undefined) {
    // ifGenerationMatch=0 means "must not exist"; anything else needs a live object.
    const holds =
      (p.ifGenerationMatch === undefined || p.ifGenerationMatch === 0n) &&
      p.ifGenerationNotMatch === undefined &&
      p.ifMetagenerationMatch === undefined &&
      p.ifMetagenerationNotMatch === undefined;
    if (!holds) throw preconditionFailed();
    return;
  }
  const generation = BigInt(current.generation);
  const metageneration = BigInt(current.metageneration);
  if (p.ifGenerationMatch !== undefined && p.ifGenerationMatch !== generation) throw preconditionFailed();
  if (p.ifMetagenerationMatch !== undefined && p.ifMetagenerationMatch !== metageneration)
    throw preconditionFailed();
  if (p.ifGenerationNotMatch !== undefined && p.ifGenerationNotMatch === generation) throw notModified();
  if (p.ifMetagenerationNotMatch !== undefined && p.ifMetagenerationNotMatch === metageneration)
    throw notModified();
}
