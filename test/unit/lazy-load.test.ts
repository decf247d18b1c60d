import { describe, expect, it } from "vitest";
import { LazyBlobStore } from "../../shared/lazy-blob-store.js";
import { loadOnce } from "../../shared/lazy-load.js";
import { MemoryBlobStore } from "../support/memory-blob-store.js";

describe("loadOnce", () => {
  it("loads once for concurrent and later callers", async () => {
    let loads = 0;
    const client = loadOnce(async () => ({ id: ++loads }));
    const [a, b] = await Promise.all([client(), client()]);
    expect(a).toBe(b);
    expect(await client()).toBe(a);
    expect(loads).toBe(1);
  });

  it("does not keep a failed load: the next call loads again", async () => {
    let loads = 0;
    const client = loadOnce(async () => {
      loads++;
      if (loads === 1) throw new Error("chunk not found");
      return "client";
    });
    await expect(client()).rejects.toThrow("chunk not found");
    expect(await client()).toBe("client");
    expect(loads).toBe(2);
  });
});

describe("LazyBlobStore", () => {
  it("loads its store on the first call, not when built, and passes every call through", async () => {
    const real = new MemoryBlobStore("bucket-a");
    let loads = 0;
    const lazy = new LazyBlobStore("bucket-a", async () => {
      loads++;
      return real;
    });
    expect(loads).toBe(0);
    expect(await lazy.write("a/x", "one", { ifGenerationMatch: "0" })).toMatchObject({ written: true });
    expect(await lazy.write("a/x", "two", { ifGenerationMatch: "0" })).toEqual({ written: false });
    expect((await lazy.read("a/x"))?.data.toString()).toBe("one");
    const chunks: Buffer[] = [];
    for await (const chunk of lazy.readStream("a/x")) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe("one");
    expect((await lazy.list("a/")).map((o) => o.name)).toEqual(["a/x"]);
    expect(await lazy.delete("a/x")).toBe(true);
    expect(await lazy.read("a/x")).toBeNull();
    expect(loads).toBe(1);
  });
});
