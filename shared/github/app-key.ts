import { createPrivateKey } from "node:crypto";
import { ConfigError } from "../errors.js";
import { secretFileVariable } from "../ingress/env.js";
import { fileSource } from "../ingress/secret-file.js";
import { Secret } from "../topology.js";

const purpose = "the GitHub App's private key (PEM)";

/** The PEM text, checked to be an RSA private key; a ConfigError names `source` (never the value) otherwise. */
export function parseAppKey(text: string, source: string): string {
  const pem = text.trim();
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "rsa") throw new Error(`a ${key.asymmetricKeyType} key`);
  } catch (error) {
    throw new ConfigError(`${source} is not ${purpose}: ${(error as Error).message}`, { cause: error });
  }
  return `${pem}\n`;
}

/**
 * The App's private key from GITHUB_APP_PRIVATE_KEY_FILE (the mounted Secret Manager secret, re-read at most once a
 * minute so a rotated key reaches warm instances) or GITHUB_APP_PRIVATE_KEY (locally). Neither, or both, is a
 * ConfigError naming the variables.
 */
export function appKeySource(env: Record<string, string | undefined>): () => Promise<string> {
  const name = Secret.githubAppKey.env;
  const fileVariable = secretFileVariable(name);
  const file = env[fileVariable] ?? "";
  const inline = env[name] ?? "";
  if (file !== "" && inline !== "") {
    throw new ConfigError(
      `${name} and ${fileVariable} are both set: set one (${fileVariable} in production)`,
    );
  }
  if (file !== "") return fileSource(file, fileVariable, purpose, parseAppKey);
  if (inline === "")
    throw new ConfigError(`${fileVariable} (or ${name} locally) is not set: it must hold ${purpose}`);
  const key = parseAppKey(inline, name);
  return async () => key;
}
