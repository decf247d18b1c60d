import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A fixture file written for these tests, under test/fixtures/. */
export function ownFixture(path: string): Buffer {
  return readFileSync(join(repoRoot, "test/fixtures", path));
}

/** An own fixture parsed as JSON. */
export function ownJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(ownFixture(path).toString("utf8")) as T;
}

/** The folder of real captured payloads: MODELGATE_FIXTURES, default ../shared/fixtures from the repository root. */
export function capturedFixturesDir(env: Record<string, string | undefined> = process.env): string {
  return resolve(repoRoot, env.MODELGATE_FIXTURES ?? "../shared/fixtures");
}

/** A captured payload's exact bytes. */
export function captured(path: string): Buffer {
  return readFileSync(join(capturedFixturesDir(), path));
}

/** A captured payload parsed as JSON. */
export function capturedJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(captured(path).toString("utf8")) as T;
}
