import { setTimeout as sleep } from "node:timers/promises";

export interface EventuallyOptions {
  /** How long to keep polling; keep it under the test's own timeout so this message, not Vitest's, reports it. */
  timeoutMs?: number;
  /** Pause between probes. */
  intervalMs?: number;
  /** What was last seen, appended to the timeout message (the ledger's actions, a job's state…). */
  detail?: () => string;
}

/**
 * Polls `probe` until it returns something other than undefined, and returns that. A probe that throws fails at
 * once (a terminal state that will never change, such as a failed job); past the deadline it fails naming what
 * was awaited, for how long and what was last seen. Vitest's `vi.waitFor` retries on every throw, so it cannot
 * stop early on a terminal failure: hence this helper.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 10_000, intervalMs = 50, detail }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      const seen = detail ? `; last seen: ${detail()}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await sleep(intervalMs);
  }
}
