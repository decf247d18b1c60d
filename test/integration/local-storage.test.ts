import { createHash } from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import {
  ApiError,
  type Bucket,
  type File,
  type GetFilesOptions,
  type GetFilesResponse,
  type PreconditionOptions,
  Storage,
} from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LocalStorageServer,
  localStorageClientOptions,
  startStorageServer,
} from "../../local/storage/index.js";
import { rejection } from "../support/rejection.js";

// Every outgoing HTTP request from this worker, by host: the client must never try Google's
// auth or metadata servers when pointed at the local server.
const outgoingHosts: string[] = [];
const onHttp = (message: unknown) =>
  outgoingHosts.push(String((message as { request: ClientRequest }).request.host));
const onUndici = (message: unknown) =>
  outgoingHosts.push(new URL(String((message as { request: { origin: string } }).request.origin)).hostname);

let server: LocalStorageServer;
let storage: Storage;
let bucket: Bucket;
const logs: Record<string, unknown>[] = [];

/** How the server says an object was written (media, multipart, resumable...). */
const writesOf = (name: string) =>
  logs.filter((l) => l.message === "object written" && l.object === name).map((l) => l.via);

/** Saves `data` in one request (not resumable) under a generation precondition. */
const saveIf = (file: File, data: string, precondition: PreconditionOptions) =>
  file.save(data, { resumable: false, preconditionOpts: precondition });

beforeAll(async () => {
  diagnostics.subscribe("http.client.request.start", onHttp);
  diagnostics.subscribe("undici:request:create", onUndici);
  server = await startStorageServer({ log: (entry) => logs.push(entry) });
  storage = new Storage(localStorageClientOptions(server.url));
  [bucket] = await storage.createBucket("artifacts");
});

afterAll(async () => {
  diagnostics.unsubscribe("http.client.request.start", onHttp);
  diagnostics.unsubscribe("undici:request:create", onUndici);
  await server.close();
});

describe("buckets", () => {
  it("creates, finds and lists buckets; a taken name is a 409", async () => {
    expect(await bucket.exists()).toEqual([true]);
    const [metadata] = await bucket.getMetadata();
    expect(metadata).toMatchObject({ kind: "storage#bucket", name: "artifacts", metageneration: "1" });
    const error = await rejection(storage.createBucket("artifacts"));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.code).toBe(409);
    expect(await storage.bucket("no-such-bucket").exists()).toEqual([false]);
    const [buckets] = await storage.getBuckets();
    expect(buckets.map((b) => b.name)).toContain("artifacts");
  });

  it("deletes an empty bucket and refuses a non-empty one", async () => {
    const [scratch] = await storage.createBucket("scratch-bucket");
    await scratch.file("x").save("x", { resumable: false });
    expect((await rejection(scratch.delete())).code).toBe(409);
    await scratch.file("x").delete();
    await scratch.delete();
    expect(await scratch.exists()).toEqual([false]);
  });
});

describe("uploads and downloads", () => {
  it("save({resumable:false}) is a multipart upload with a correct object resource", async () => {
    const file = bucket.file("models/m/c1/check.txt");
    await file.save("123456789", {
      resumable: false,
      contentType: "text/plain",
      metadata: { metadata: { stage: "trained" } },
    });
    expect(writesOf(file.name)).toEqual(["multipart"]);
    const [metadata] = await file.getMetadata();
    expect(metadata).toMatchObject({
      kind: "storage#object",
      name: "models/m/c1/check.txt",
      bucket: "artifacts",
      contentType: "text/plain",
      size: "9",
      metageneration: "1",
      // CRC32C("123456789") is the standard check value 0xE3069283.
      crc32c: Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString("base64"),
      md5Hash: createHash("md5").update("123456789").digest("base64"),
      metadata: { stage: "trained" },
    });
    expect(metadata.generation).toMatch(/^\d{16}$/);
    expect(metadata.id).toBe(`artifacts/models/m/c1/check.txt/${metadata.generation}`);
    expect(typeof metadata.etag).toBe("string");
    expect(Date.parse(String(metadata.timeCreated))).not.toBeNaN();
    const [data] = await file.download();
    expect(data.toString()).toBe("123456789");
  });

  it("save() of a large buffer goes resumable and downloads intact with crc32c and md5 validation", async () => {
    const big = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const file = bucket.file("datasets/big.bin");
    await file.save(big);
    expect(writesOf(file.name)).toEqual(["resumable"]);
    // The resumable path hands back `size` as a number (the client converts it), multipart as a string.
    expect(String(file.metadata.size)).toBe(String(big.length));
    const [viaCrc] = await file.download({ validation: "crc32c" });
    const [viaMd5] = await file.download({ validation: "md5" });
    expect(viaCrc.equals(big)).toBe(true);
    expect(viaMd5.equals(big)).toBe(true);
  });

  it("createWriteStream with chunkSize uploads in several 308-acknowledged chunks", async () => {
    const data = Buffer.alloc(700 * 1024, 0x5a);
    const file = bucket.file("chunked.bin");
    const stream = file.createWriteStream({ chunkSize: 256 * 1024, contentType: "application/x-test" });
    await new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve).on("error", reject);
      stream.end(data);
    });
    expect(writesOf(file.name)).toEqual(["resumable"]);
    const [metadata] = await file.getMetadata();
    expect(metadata).toMatchObject({ size: String(data.length), contentType: "application/x-test" });
    expect((await file.download())[0].equals(data)).toBe(true);
  });

  it("an empty object round-trips", async () => {
    const file = bucket.file("empty");
    await file.save(Buffer.alloc(0));
    expect((await file.getMetadata())[0].size).toBe("0");
    expect((await file.download())[0].length).toBe(0);
  });

  it("serves byte ranges, including a suffix range", async () => {
    const file = bucket.file("range.txt");
    await file.save("0123456789abcdef", { resumable: false });
    expect((await file.download({ start: 2, end: 5 }))[0].toString()).toBe("2345");
    expect((await file.download({ start: 10 }))[0].toString()).toBe("abcdef");
    expect((await file.download({ end: -3 }))[0].toString()).toBe("def");
  });

  it("a missing object is a 404 ApiError for metadata and download", async () => {
    const file = bucket.file("missing/object");
    expect(await file.exists()).toEqual([false]);
    const metadataError = await rejection(file.getMetadata());
    expect(metadataError).toBeInstanceOf(ApiError);
    expect(metadataError.code).toBe(404);
    expect(metadataError.message).toBe("No such object: artifacts/missing/object");
    const downloadError = await rejection(file.download());
    expect(downloadError.code).toBe(404);
    expect(String(downloadError.message)).toContain("No such object: artifacts/missing/object");
    const bucketError = await rejection(storage.bucket("nope-bucket").file("x").getMetadata());
    expect(bucketError.code).toBe(404);
  });

  it("reads a given generation and 404s once it is replaced", async () => {
    const file = bucket.file("versioned.txt");
    await file.save("one", { resumable: false });
    const first = String(file.metadata.generation);
    expect((await bucket.file("versioned.txt", { generation: first }).download())[0].toString()).toBe("one");
    await file.save("two", { resumable: false });
    const second = String(file.metadata.generation);
    expect(BigInt(second)).toBeGreaterThan(BigInt(first));
    expect((await rejection(bucket.file("versioned.txt", { generation: first }).download())).code).toBe(404);
  });

  it("copies and composes objects", async () => {
    await bucket.file("part-1").save("hello ", { resumable: false, contentType: "text/plain" });
    await bucket.file("part-2").save("world", { resumable: false });
    await bucket.file("part-1").copy(bucket.file("copied"));
    const [copied] = await bucket.file("copied").getMetadata();
    expect(copied).toMatchObject({ size: "6", contentType: "text/plain" });
    await bucket.combine(["part-1", "part-2"], "combined.txt");
    expect((await bucket.file("combined.txt").download())[0].toString()).toBe("hello world");
    expect(writesOf("copied")).toEqual(["rewriteTo"]);
    expect(writesOf("combined.txt")).toEqual(["compose"]);
  });
});

describe("metadata", () => {
  it("setMetadata patches, bumps the metageneration and honours ifMetagenerationMatch", async () => {
    const file = bucket.file("meta.json");
    await file.save("{}", { resumable: false, metadata: { metadata: { a: "1", b: "2" } } });
    const generation = file.metadata.generation;
    const etag = file.metadata.etag;
    // A null value removes the key (JSON API patch semantics); the client's typings only allow strings.
    const removeB = { b: null, c: "3" } as unknown as Record<string, string>;
    const [patched] = await file.setMetadata({ contentType: "application/json", metadata: removeB });
    expect(patched).toMatchObject({
      metageneration: "2",
      generation,
      contentType: "application/json",
      metadata: { a: "1", c: "3" },
    });
    expect(patched.etag).not.toBe(etag);
    const stale = await rejection(file.setMetadata({ metadata: { d: "4" } }, { ifMetagenerationMatch: 1 }));
    expect(stale.code).toBe(412);
    const [again] = await file.setMetadata({ metadata: { d: "4" } }, { ifMetagenerationMatch: 2 });
    expect(again.metageneration).toBe("3");
    expect((await rejection(bucket.file("meta-missing").setMetadata({ metadata: { x: "y" } }))).code).toBe(
      404,
    );
  });
});

describe("preconditions", () => {
  it.each([
    ["multipart", false],
    ["resumable", true],
  ])("ifGenerationMatch: 0 creates once, the second %s create is a 412", async (_kind, resumable) => {
    const file = bucket.file(`idempotency/claim-${String(resumable)}`);
    await file.save("claimed", { resumable, preconditionOpts: { ifGenerationMatch: 0 } });
    const error = await rejection(
      file.save("again", { resumable, preconditionOpts: { ifGenerationMatch: 0 } }),
    );
    // Multipart failures are ApiErrors with `code`; resumable ones surface from gaxios with `status`
    // (that is the client library's behaviour against Cloud Storage too).
    expect(error.code ?? error.status).toBe(412);
    expect((await file.download())[0].toString()).toBe("claimed");
  });

  it("returns Google's 412 body", async () => {
    const file = bucket.file("precondition-body");
    await file.save("x", { resumable: false });
    const error = await rejection(saveIf(file, "y", { ifGenerationMatch: 0 }));
    expect(error.errors).toEqual([
      {
        message: "At least one of the pre-conditions you specified did not hold.",
        domain: "global",
        reason: "conditionNotMet",
        locationType: "header",
        location: "If-Match",
      },
    ]);
  });

  it("ifGenerationMatch with a wrong or right generation", async () => {
    const file = bucket.file("cas.txt");
    await file.save("v1", { resumable: false });
    const generation = Number(file.metadata.generation);
    const wrong = await rejection(saveIf(file, "v2", { ifGenerationMatch: generation - 1 }));
    expect(wrong.code).toBe(412);
    await saveIf(file, "v2", { ifGenerationMatch: generation });
    expect((await file.download())[0].toString()).toBe("v2");
    const missing = await rejection(saveIf(bucket.file("cas-missing"), "x", { ifGenerationMatch: 123 }));
    expect(missing.code).toBe(412);
  });

  it("ifGenerationNotMatch: 304 Not Modified when it matches, 412 when nothing is live", async () => {
    const file = bucket.file("not-match.txt");
    await file.save("v1", { resumable: false });
    const generation = Number(file.metadata.generation);
    const same = await rejection(saveIf(file, "v2", { ifGenerationNotMatch: generation }));
    expect(same.code).toBe(304);
    expect((await file.download())[0].toString()).toBe("v1");
    await saveIf(file, "v2", { ifGenerationNotMatch: generation + 1 });
    expect((await file.download())[0].toString()).toBe("v2");
    const absent = await rejection(
      saveIf(bucket.file("not-match-missing"), "x", { ifGenerationNotMatch: 1 }),
    );
    expect(absent.code).toBe(412);
  });

  it("delete honours ifGenerationMatch and a second delete is a 404", async () => {
    const file = bucket.file("to-delete");
    await file.save("x", { resumable: false });
    const generation = Number(file.metadata.generation);
    expect((await rejection(file.delete({ ifGenerationMatch: generation + 1 }))).code).toBe(412);
    await file.delete({ ifGenerationMatch: generation });
    expect(await file.exists()).toEqual([false]);
    expect((await rejection(file.delete())).code).toBe(404);
  });
});

describe("listing", () => {
  let listed: Bucket;

  beforeAll(async () => {
    [listed] = await storage.createBucket("listing");
    const names = [
      "models/a/1/model.bin",
      "models/a/1/modelgate.json",
      "models/a/2/modelgate.json",
      "models/b/1/modelgate.json",
      "models/top.txt",
      "readme.md",
    ];
    for (let i = 0; i < 25; i++) names.push(`ledger/m/c/${String(i).padStart(3, "0")}.json`);
    for (const name of names) await listed.file(name).save(name, { resumable: false });
  });

  it("filters by prefix", async () => {
    const [files] = await listed.getFiles({ prefix: "models/a/" });
    expect(files.map((f) => f.name)).toEqual([
      "models/a/1/model.bin",
      "models/a/1/modelgate.json",
      "models/a/2/modelgate.json",
    ]);
    expect(files[0]?.metadata.size).toBe(String("models/a/1/model.bin".length));
  });

  it("collapses 'directories' with a delimiter into prefixes", async () => {
    const [files, , response] = await listed.getFiles({
      prefix: "models/",
      delimiter: "/",
      autoPaginate: false,
    });
    expect(files.map((f) => f.name)).toEqual(["models/top.txt"]);
    expect((response as { prefixes?: string[] }).prefixes).toEqual(["models/a/", "models/b/"]);
    const [top, , topResponse] = await listed.getFiles({ delimiter: "/", autoPaginate: false });
    expect(top.map((f) => f.name)).toEqual(["readme.md"]);
    expect((topResponse as { prefixes?: string[] }).prefixes).toEqual(["ledger/", "models/"]);
  });

  it("pages with maxResults and pageToken until the last page", async () => {
    const ledger = Array.from({ length: 25 }, (_, i) => `ledger/m/c/${String(i).padStart(3, "0")}.json`);
    const pages: string[][] = [];
    let query: GetFilesOptions | null = { prefix: "ledger/", maxResults: 10, autoPaginate: false };
    while (query !== null) {
      const [files, next, response]: GetFilesResponse = await listed.getFiles(query);
      pages.push(files.map((f) => f.name));
      expect(typeof (response as { nextPageToken?: string }).nextPageToken).toBe(
        next === null ? "undefined" : "string",
      );
      query = next as GetFilesOptions | null;
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(ledger);
    // autoPaginate (the default) returns everything; with maxResults it stops at that many.
    expect((await listed.getFiles({ prefix: "ledger/" }))[0].map((f) => f.name)).toEqual(ledger);
    expect((await listed.getFiles({ prefix: "ledger/", maxResults: 7 }))[0]).toHaveLength(7);
  });

  it("rejects a page token it did not issue", async () => {
    const error = await rejection(listed.getFiles({ pageToken: "bogus", autoPaginate: false }));
    expect(error.code).toBe(400);
  });

  it("honours startOffset and endOffset", async () => {
    const [files] = await listed.getFiles({ startOffset: "models/a/2", endOffset: "models/top.txt" });
    expect(files.map((f) => f.name)).toEqual(["models/a/2/modelgate.json", "models/b/1/modelgate.json"]);
  });
});

describe("no auth", () => {
  it("STORAGE_EMULATOR_HOST works as well as apiEndpoint", async () => {
    const previous = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = server.url;
    try {
      const viaEnv = new Storage({ projectId: "local-project" });
      const file = viaEnv.bucket("artifacts").file("via-env.txt");
      await file.save("small", { resumable: false });
      await file.save(Buffer.alloc(64 * 1024, 1));
      expect((await file.download())[0].length).toBe(64 * 1024);
      const [files] = await viaEnv.bucket("artifacts").getFiles({ prefix: "via-env" });
      expect(files.map((f) => f.name)).toEqual(["via-env.txt"]);
    } finally {
      if (previous === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = previous;
    }
  });

  it("never sent a request anywhere but the local server (no token or metadata-server lookups)", () => {
    expect(outgoingHosts.length).toBeGreaterThan(0);
    expect(new Set(outgoingHosts)).toEqual(new Set(["127.0.0.1"]));
  });
});
