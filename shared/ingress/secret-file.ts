import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";

/** The shortest secret or token accepted: 32 characters (GitHub's own guidance is a random string of high entropy). */
export const minimumSecretLength = 32;

/**
 * The secrets in a variable's or a file's text, one per line (several let a secret be rotated: add the new one,
 * switch the sender, remove the old one). Lines are trimmed and empty lines skipped, so a Secret Manager version
 * with a trailing newline reads as written. A line is one secret whatever it contains: a comma is part of the
 * secret (the comma-separated form of earlier versions is not read, since "a,b" could be either). None, or one
 * shorter than 32 characters, throws a ConfigError naming `source` (the variable, or the variable and its file),
 * never the value.
 */
export function parseSecrets(text: string, source: string, purpose: string): string[] {
  const values = text
    .split(/\r?\n/)
    .map((value) => value.trim())
    .filter((value) => value !== "");
  if (values.length === 0) {
    throw new ConfigError(`${source} is empty: it must hold ${purpose} (one per line while rotating)`);
  }
  const short = values.findIndex((value) => value.length < minimumSecretLength);
  if (short !== -1) {
    throw new ConfigError(
      `${source}: ${values.length > 1 ? `the secret on line ${short + 1}` : "the secret"} is ${values[short]?.length} characters; ` +
        `it must be at least ${minimumSecretLength} (e.g. \`openssl rand -hex 32\`); several secrets go one per line`,
    );
  }
  return values;
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
 * Reads the secrets in `path`, one per line, (named by the variable `variable`), at most once per
 * `reuseMs`; concurrent callers share one read. A missing, empty or oversized file, or a secret in it shorter than
 * 32 characters, rejects with a ConfigError naming the variable and the path, and the next call reads again.
 */
export function secretFileSource(
  path: string,
  variable: string,
  purpose: string,
  options: { reuseMs?: number; now?: () => number } = {},
): () => Promise<readonly string[]> {
  return fileSource(path, variable, purpose, (text, source) => parseSecrets(text, source, purpose), options);
}

/**
 * Reads a mounted secret file as `secretFileSource` does (size bound, reuse, shared reads, errors naming the
 * variable and path), parsed by `parse` (which throws a ConfigError naming `source` for a bad value).
 */
export function fileSource<T>(
  path: string,
  variable: string,
  purpose: string,
  parse: (text: string, source: string) => T,
  options: { reuseMs?: number; now?: () => number } = {},
): () => Promise<T> {
  const reuseMs = options.reuseMs ?? secretFileReuseMs;
  const now = options.now ?? Date.now;
  let cached: { values: Promise<T>; readAt: number } | undefined;

  const read = async (): Promise<T> => {
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
    return parse(bytes.toString("utf8"), `${variable} (${path})`);
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
