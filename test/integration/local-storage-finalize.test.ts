import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as functions from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { type Bucket, Storage } from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LocalStorageServer,
  localStorageClientOptions,
  startStorageServer,
} from "../../local/storage/index.js";

// StorageObjectData's fields and the binary-mode CloudEvent headers, as Eventarc documents them for
// google.cloud.storage.object.v1.finalized (the real captured events are compared in test/contract/).
const objectFields = [
  "bucket",
  "contentType",
  "crc32c",
  "etag",
  "generation",
  "id",
  "kind",
  "md5Hash",
  "mediaLink",
  "metageneration",
  "name",
  "selfLink",
  "size",
  "storageClass",
  "timeCreated",
  "timeStorageClassUpdated",
  "updated",
];
const eventHeaders = [
  "ce-id",
  "ce-source",
  "ce-specversion",
  "ce-type",
  "ce-subject",
  "ce-time",
  "ce-bucket",
];

interface Received {
  id: string;
  attributes: Record<string, unknown>;
  data: Record<string, unknown>;
}

const received: Received[] = [];
// Objects whose first delivery the function fails with a 500 (a rejected handler).
const failFirst = new Set<string>();
// Objects whose delivery the function holds until the test releases it; `entered` resolves
// when the function has the event in hand.
const held = new Map<string, { entered: () => void; release: Promise<void> }>();

functions.cloudEvent("storageFinalizedProbe", async (event: functions.CloudEvent<unknown>) => {
  const { data, ...attributes } = event;
  const object = data as Record<string, unknown>;
  const name = String(object.name);
  received.push({ id: event.id, attributes, data: object });
  const hold = held.get(name);
  if (hold !== undefined) {
    hold.entered();
    await hold.release;
  }
  if (failFirst.delete(name)) throw new Error(`failing the first delivery of ${name}`);
});

// A plain HTTP sink next to the function, to see the exact headers on the wire.
const rawRequests: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const rawSink = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    rawRequests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    res.writeHead(204).end();
  });
});

let functionServer: Server;
let functionUrl: string;
let server: LocalStorageServer;
let bucket: Bucket;
const logs: Record<string, unknown>[] = [];

const deliveriesOf = (name: string) => received.filter((r) => r.data.name === name);

beforeAll(async () => {
  functionServer = getTestServer("storageFinalizedProbe");
  await new Promise<void>((resolve) => functionServer.listen(0, "127.0.0.1", resolve));
  functionUrl = `http://127.0.0.1:${(functionServer.address() as AddressInfo).port}/`;
  server = await startStorageServer({ log: (entry) => logs.push(entry) });
  server.createBucket("acme-ml-artifacts");
  server.subscribeFinalize({ bucket: "acme-ml-artifacts", url: functionUrl, objectNamePrefix: "models/" });
  await new Promise<void>((resolve) => rawSink.listen(0, "127.0.0.1", resolve));
  server.subscribeFinalize({
    bucket: "acme-ml-artifacts",
    url: `http://127.0.0.1:${(rawSink.address() as AddressInfo).port}/`,
    objectNamePrefix: "models/fraud-detector/",
  });
  bucket = new Storage(localStorageClientOptions(server.url)).bucket("acme-ml-artifacts");
});

afterAll(async () => {
  await server.close();
  await new Promise<void>((resolve) => functionServer.close(() => resolve()));
  await new Promise<void>((resolve) => rawSink.close(() => resolve()));
});

describe("finalize events", () => {
  it("delivers an Eventarc-shaped CloudEvent with int64 fields as strings", async () => {
    const name = "models/fraud-detector/3f2c1a9/modelgate.json";
    await bucket
      .file(name)
      .save('{"model":"fraud-detector"}', { resumable: false, contentType: "application/json" });
    await server.idle();
    const [delivery, ...more] = deliveriesOf(name);
    expect(more).toEqual([]);
    if (delivery === undefined) throw new Error("no delivery");
    const [written] = await bucket.file(name).getMetadata();
    expect(delivery.data).toEqual(written);
    expect(delivery.data).toMatchObject({ size: "26", metageneration: "1", generation: written.generation });
    expect(Object.keys(delivery.data).sort()).toEqual(objectFields);
    expect(delivery.id).toMatch(/^\d+$/);
    expect(delivery.attributes).toMatchObject({
      specversion: "1.0",
      type: "google.cloud.storage.object.v1.finalized",
      source: "//storage.googleapis.com/projects/_/buckets/acme-ml-artifacts",
      subject: `objects/${name}`,
      bucket: "acme-ml-artifacts",
    });
    const [raw, ...moreRaw] = rawRequests;
    expect(moreRaw).toEqual([]);
    for (const header of eventHeaders) expect(raw?.headers).toHaveProperty(header);
    expect(raw?.headers).toMatchObject({
      "content-type": "application/json; charset=utf-8",
      "ce-source": "//storage.googleapis.com/projects/_/buckets/acme-ml-artifacts",
      "ce-subject": `objects/${name}`,
    });
    // Two subscriptions are two triggers: each gets its own event id, as with Eventarc.
    expect(raw?.headers["ce-id"]).toMatch(/^\d+$/);
    expect(raw?.headers["ce-id"]).not.toBe(delivery.id);
    expect(raw?.body).toContain(`"size":"26"`);
    // ce-time is the generation's microsecond timestamp, as in Eventarc's events.
    const time = String(delivery.attributes.time);
    expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(time.slice(20, 26)).toBe(String(written.generation).slice(-6));
  });

  it("fires for resumable uploads, copies and composes, each with its own ce-id", async () => {
    await bucket.file("models/m/1/model.bin").save(Buffer.alloc(300 * 1024, 2));
    await bucket.file("models/m/1/model.bin").copy(bucket.file("models/m/1/copy.bin"));
    await bucket.combine(["models/m/1/model.bin", "models/m/1/copy.bin"], "models/m/1/combined.bin");
    await server.idle();
    const names = ["models/m/1/model.bin", "models/m/1/copy.bin", "models/m/1/combined.bin"];
    const ids = names.map((n) => {
      const [delivery, ...more] = deliveriesOf(n);
      expect(more).toEqual([]);
      return delivery?.id;
    });
    expect(new Set(ids).size).toBe(3);
    expect(deliveriesOf("models/m/1/combined.bin")[0]?.data.size).toBe(String(600 * 1024));
  });

  it("skips objects outside the subscription's prefix", async () => {
    await bucket.file("ledger/m/c/record.json").save("{}", { resumable: false });
    await bucket.file("models/in-scope.json").save("{}", { resumable: false });
    await server.idle();
    expect(deliveriesOf("ledger/m/c/record.json")).toEqual([]);
    expect(deliveriesOf("models/in-scope.json")).toHaveLength(1);
  });

  it("retries a delivery the function answered with a 500, keeping the ce-id", async () => {
    const name = "models/retry/1/modelgate.json";
    failFirst.add(name);
    await bucket.file(name).save("{}", { resumable: false });
    await server.idle();
    const deliveries = deliveriesOf(name);
    expect(deliveries).toHaveLength(2);
    expect(deliveries[1]?.id).toBe(deliveries[0]?.id);
    expect(logs).toContainEqual(
      expect.objectContaining({ message: "finalize event delivery failed", status: 500, attempt: 1 }),
    );
  });

  it("never holds up the upload while the function is still working", async () => {
    const name = "models/slow/1/modelgate.json";
    let release = () => {};
    let entered = () => {};
    const functionEntered = new Promise<void>((resolve) => {
      entered = resolve;
    });
    held.set(name, {
      entered,
      release: new Promise<void>((resolve) => {
        release = resolve;
      }),
    });
    await bucket.file(name).save("{}", { resumable: false });
    // The save has returned while the function holds the event (and will until released).
    await functionEntered;
    let idle = false;
    const settled = server.idle().then(() => {
      idle = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    release();
    await settled;
    expect(idle).toBe(true);
    expect(deliveriesOf(name)).toHaveLength(1);
  });

  it("stops delivering after unsubscribe", async () => {
    const unsubscribe = server.subscribeFinalize({ bucket: "acme-ml-artifacts", url: functionUrl });
    await bucket.file("other/one.txt").save("1", { resumable: false });
    await server.idle();
    unsubscribe();
    await bucket.file("other/two.txt").save("2", { resumable: false });
    await server.idle();
    expect(deliveriesOf("other/one.txt")).toHaveLength(1);
    expect(deliveriesOf("other/two.txt")).toEqual([]);
  });
});

describe("finalize delivery that keeps failing", () => {
  it("gives up after the configured attempts with an error log line", async () => {
    // A port that was just free: nothing listens, every attempt is refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const localLogs: Record<string, unknown>[] = [];
    const flaky = await startStorageServer({
      log: (entry) => localLogs.push(entry),
      delivery: { initialBackoffMs: 5, maxAttempts: 3 },
    });
    try {
      flaky.createBucket("dead-letter-test");
      flaky.subscribeFinalize({ bucket: "dead-letter-test", url: deadUrl });
      await new Storage(localStorageClientOptions(flaky.url))
        .bucket("dead-letter-test")
        .file("x")
        .save("x", { resumable: false });
      await flaky.idle();
      const failures = localLogs.filter((l) => l.message === "finalize event delivery failed");
      expect(failures.map((l) => l.attempt)).toEqual([1, 2, 3]);
      expect(localLogs).toContainEqual(
        expect.objectContaining({
          severity: "ERROR",
          message: "finalize event dropped after retries",
          url: deadUrl,
        }),
      );
    } finally {
      await flaky.close();
    }
  });
});
