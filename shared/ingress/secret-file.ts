import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";

/** Splits a comma-separated list of secrets; several values let a secret be rotated. */
export function splitSecrets(text: string): string[] {
  return text
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value !== "");
}

/** Secrets fixed for the instance's life, or read when asked (a mounted secret file). */
export type SecretSource = readonly string[] | (() => Promise<readonly string[]>);

/** The secrets a source holds now. */
export async function currentSecrets(source: SecretSource): Promise<readonly string[]> {
  return typeof source === "function" ? source() : source;
}

/** A secret file larger than this is refused: a webhook secret or sink token is a few dozen bytes. */
export const secretFileMaxBytes = 64 * 1024;

/**
 * How long a read of the secret file is reused. On Cloud Run every read of a mounted secret fetches the version
 * from Secret Manager, so reading per request would add a round trip and spend the access quota; a minute keeps
 * rotation prompt (a new version is in use on every instance a minute after it is added).
 */
export const secretFileReuseMs = 60_000;

/**
 * Reads a comma-separated secret list from `path` (named by the variable `variable`), at most once per
 * `reuseMs`; concurrent callers share one read. A missing, empty or oversized file rejects with a ConfigError
 * naming the variable and the path, and the next call reads again.
 */
export function secretFileSource(
  path: string,
  variable: string,
  purpose: string,
  options: { reuseMs?: number; now?: () => number } = {},
): () => Promise<readonly string[]> {
  const reuseMs = options.reuseMs ?? secretFileReuseMs;
  const now = options.now ?? Date.now;
  let cached: { values: Promise<readonly string[]>; readAt: number } | undefined;

  const read = async (): Promise<readonly string[]> => {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new ConfigError(
        `${variable} names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}): it must hold ${purpose}`,
        { cause: error },
      );
    }
    if (bytes.length > secretFileMaxBytes) {
      throw new ConfigError(
        `${variable} names ${path}, which holds ${bytes.length} bytes; ${purpose} is at most ${secretFileMaxBytes}`,
      );
    }
    const values = splitSecrets(bytes.toString("utf8"));
    if (values.length === 0) {
      throw new ConfigError(`${variable} names ${path}, which is empty: it must hold ${purpose}`);
    }
    return values;
  };

  return () => {
    const at = now();
    if (cached === undefined || at - cached.readAt >= reuseMs) {
      const values = read();
      cached = { values, readAt: at };
      // A failed read is not reused: the next request tries again.
      values.catch(() => {
        if (cached?.values === values) cached = undefined;
      });
    }
    return cached.values;
  };
}
