import { afterAll, beforeAll } from "vitest";

/**
 * Starts `start()` before the file's tests and closes what it made after them. The object returned stands for the
 * started one: reading it before `beforeAll` has run is an error that names `what`.
 */
export function useStarted<T extends { close(): Promise<void> }>(what: string, start: () => Promise<T>): T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    await started?.close();
  });
  return new Proxy({} as T, {
    get: (_target, key) => {
      if (!started) throw new Error(`${what} is used before its beforeAll ran`);
      return started[key as keyof T];
    },
  });
}
