import { ConfigError } from "../errors.js";

/** The shortest secret or token accepted: 32 characters (GitHub's own guidance is a random string of high entropy). */
export const minimumSecretLength = 32;

/**
 * The secrets in one environment variable, one per line (several let a secret be rotated: add the new one, switch
 * the sender, remove the old one). Lines are trimmed and empty lines skipped, so the content of a Secret Manager
 * version with a trailing newline reads as written. A line is one secret whatever it contains: a comma is part of
 * the secret (the comma-separated form of earlier versions is not read, since "a,b" could be either). Missing,
 * empty or a secret shorter than 32 characters throws a ConfigError naming the variable (never the value).
 */
export function secretList(env: Record<string, string | undefined>, name: string, purpose: string): string[] {
  const values = (env[name] ?? "")
    .split(/\r?\n/)
    .map((value) => value.trim())
    .filter((value) => value !== "");
  if (values.length === 0) {
    throw new ConfigError(`${name} is not set: it must hold ${purpose} (one per line while rotating)`);
  }
  const short = values.findIndex((value) => value.length < minimumSecretLength);
  if (short !== -1) {
    throw new ConfigError(
      `${name}: ${values.length > 1 ? `the secret on line ${short + 1}` : "the secret"} is ${values[short]?.length} characters; ` +
        `it must be at least ${minimumSecretLength} (e.g. \`openssl rand -hex 32\`); several secrets go one per line`,
    );
  }
  return values;
}
