import { ConfigError } from "../errors.js";

/**
 * A comma-separated list of secrets from one environment variable (several values let a secret be rotated:
 * add the new one, switch the sender, remove the old one). Missing or empty throws a ConfigError naming it.
 */
export function secretList(env: Record<string, string | undefined>, name: string, purpose: string): string[] {
  const values = (env[name] ?? "")
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value !== "");
  if (values.length === 0) {
    throw new ConfigError(
      `${name} is not set: it must hold ${purpose} (a comma-separated list while rotating)`,
    );
  }
  return values;
}
