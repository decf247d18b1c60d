import { describe, expect, it } from "vitest";
import { startEarly } from "../../functions/verify-deployment/start-early.js";

/** A source that logs when it is opened (its first item asked for) and when it is released. */
function loggedSource(log: string[], failOpen = false): AsyncIterable<number> {
  return (async function* () {
    log.push("opened");
    try {
      if (failOpen) throw new Error("no such object");
      yield 1;
      yield 2;
      yield 3;
    } finally {
      log.push("released");
    }
  })();
}

describe("startEarly", () => {
  it("opens the source at once and yields exactly its items", async () => {
    const log: string[] = [];
    const early = startEarly(loggedSource(log));
    await Promise.resolve();
    expect(log).toEqual(["opened"]);
    const items: number[] = [];
    for await (const item of early.items) items.push(item);
    expect(items).toEqual([1, 2, 3]);
    expect(log).toEqual(["opened", "released"]);
  });

  it("releases the source when the caller stops iterating early", async () => {
    const log: string[] = [];
    const early = startEarly(loggedSource(log));
    for await (const item of early.items) if (item === 1) break;
    expect(log).toEqual(["opened", "released"]);
  });

  it("close() releases a source never iterated, and drops its early error", async () => {
    const log: string[] = [];
    const early = startEarly(loggedSource(log));
    await early.close();
    expect(log).toEqual(["opened", "released"]);
    const failing = startEarly(loggedSource([], true));
    await expect(failing.close()).resolves.toBeUndefined();
  });

  it("reports the early error to whoever iterates", async () => {
    const early = startEarly(loggedSource([], true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(
      (async () => {
        for await (const _ of early.items);
      })(),
    ).rejects.toThrow("no such object");
  });
});
