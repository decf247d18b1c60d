import { ConfigError } from "../errors.js";
import { parseSecrets, type SecretSource, secretFileSource } from "./secret-file.js";

/** The variable that names a mounted secret file in place of `name` itself: `GITHUB_WEBHOOK_SECRET_FILE`. */
export function secretFileVariable(name: string): string {
  return `${name}_FILE`;
}

/**
 * The secrets in one environment variable, one per line (see `parseSecrets`). Missing, empty or a secret shorter
 * than 32 characters throws a ConfigError naming the variable (never the value).
 */
export function secretList(env: Record<string, string | undefined>, name: string, purpose: string): string[] {
  const text = env[name] ?? "";
  if (text.trim() === "") {
    throw new ConfigError(`${name} is not set: it must hold ${purpose} (one per line while rotating)`);
  }
  return parseSecrets(text, name, purpose);
}

/**
 * The secrets from `<name>_FILE` (a mounted Secret Manager volume, read again while the function runs, so a new
 * secret version reaches warm instances) or else from `name` itself (fixed for the instance's life). Setting
 * both is refused: which one wins would be a guess.
 */
export function secretSource(
  env: Record<string, string | undefined>,
  name: string,
  purpose: string,
): SecretSource {
  const fileVariable = secretFileVariable(name);
  const file = env[fileVariable];
  if (file === undefined || file === "") return secretList(env, name, purpose);
  if (env[name] !== undefined && env[name] !== "") {
    throw new ConfigError(
      `${name} and ${fileVariable} are both set: set one (${fileVariable} in production)`,
    );
  }
  return secretFileSource(file, fileVariable, purpose);
}
