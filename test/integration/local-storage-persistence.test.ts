import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Storage } from "@google-cloud/storage";
import { afterAll, describe, expect, it } from "vitest";
import { localStorageClientOptions, startStorageServer } from "../../local/storage/index.js";

const dir = mkdtempSync(join(tmpdir(), "modelgate-local-storage-"));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `work` against a fresh server on `dir`, closing it afterwards. */
async function withServer<T>(work: (storage: Storage) => Promise<T>): Promise<T> {
  const server = await startStorageServer({ dir, log: () => {} });
  try {
    return await work(new Storage(localStorageClientOptions(server.url)));
  } finally {
    await server.close();
  }
}

describe("persistence with `dir`", () => {
  it("keeps buckets, bytes, metadata and generations across a restart", async () => {
    const large = Buffer.alloc(2 * 1024 * 1024, 0xab);
    const before = await withServer(async (storage) => {
      const [bucket] = await storage.createBucket("persisted");
      const manifest = bucket.file("models/m/c/modelgate.json");
      await manifest.save('{"model":"m"}', { resumable: false, contentType: "application/json" });
      await manifest.setMetadata({ metadata: { state: "registered" } });
      await bucket.file("models/m/c/model.bin").save(large);
      await bucket.file("gone.txt").save("bye", { resumable: false });
      await bucket.file("gone.txt").delete();
      return (await manifest.getMetadata())[0];
    });

    await withServer(async (storage) => {
      const bucket = storage.bucket("persisted");
      expect(await bucket.exists()).toEqual([true]);
      const manifest = bucket.file("models/m/c/modelgate.json");
      const [after] = await manifest.getMetadata();
      // Everything but the links, which name the new server's port.
      const { selfLink: _s1, mediaLink: _m1, ...kept } = after;
      const { selfLink: _s0, mediaLink: _m0, ...original } = before;
      expect(kept).toEqual(original);
      expect(after).toMatchObject({ metageneration: "2", metadata: { state: "registered" } });
      expect((await manifest.download())[0].toString()).toBe('{"model":"m"}');
      expect(
        (await bucket.file("models/m/c/model.bin").download({ validation: "md5" }))[0].equals(large),
      ).toBe(true);
      expect(await bucket.file("gone.txt").exists()).toEqual([false]);
      const [files] = await bucket.getFiles();
      expect(files.map((f) => f.name)).toEqual(["models/m/c/model.bin", "models/m/c/modelgate.json"]);

      // Create-only claims still see the object, and new generations keep increasing.
      const claim = await manifest
        .save("x", { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })
        .then(
          () => undefined,
          (error: { code?: number }) => error.code,
        );
      expect(claim).toBe(412);
      await manifest.save('{"model":"m","v":2}', { resumable: false });
      expect(BigInt(String(manifest.metadata.generation))).toBeGreaterThan(BigInt(String(before.generation)));
    });

    await withServer(async (storage) => {
      const [data] = await storage.bucket("persisted").file("models/m/c/modelgate.json").download();
      expect(data.toString()).toBe('{"model":"m","v":2}');
    });
  });

  it("keeps memory-only servers separate from each other", async () => {
    const first = await startStorageServer({ log: () => {} });
    first.createBucket("ephemeral");
    await new Storage(localStorageClientOptions(first.url))
      .bucket("ephemeral")
      .file("x")
      .save("x", { resumable: false });
    await first.close();
    const second = await startStorageServer({ log: () => {} });
    try {
      expect(await new Storage(localStorageClientOptions(second.url)).bucket("ephemeral").exists()).toEqual([
        false,
      ]);
    } finally {
      await second.close();
    }
  });
});
