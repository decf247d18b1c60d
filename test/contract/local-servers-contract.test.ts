import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PubSub } from "@google-cloud/pubsub";
import { Storage } from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalPubSubServer, startPubSubServer } from "../../local/pubsub/index.js";
import {
  type LocalStorageServer,
  localStorageClientOptions,
  startStorageServer,
} from "../../local/storage/index.js";
import { capturedJson } from "../support/ingress-fixtures.js";

/**
 * The local servers' push deliveries next to the real ones captured in MODELGATE_FIXTURES: Cloud Storage's
 * CloudEvent as Eventarc sends it, Pub/Sub's push envelope as a push subscription sends it, so a function that works
 * locally sees what the cloud sends it.
 */
interface Delivery {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

const deliveries: Delivery[] = [];
let sink: Server;
let sinkUrl: string;
let storageServer: LocalStorageServer;
let pubsubServer: LocalPubSubServer;
let pubsub: PubSub;

beforeAll(async () => {
  sink = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      deliveries.push({
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`;
  storageServer = await startStorageServer();
  pubsubServer = await startPubSubServer();
  pubsub = new PubSub({ projectId: "acme-ml", apiEndpoint: pubsubServer.address, emulatorMode: true });
});

afterAll(async () => {
  await pubsub?.close();
  await pubsubServer?.close();
  await storageServer?.close();
  await new Promise<void>((resolve) => sink.close(() => resolve()));
});

const keys = (value: unknown) => Object.keys(value as object).sort();
const ceHeaders = (headers: object) => keys(headers).filter((h) => h.startsWith("ce-"));

describe("local Cloud Storage finalize events against the captured Eventarc event", () => {
  it("has the captured headers and StorageObjectData fields", async () => {
    const capturedHeaders = capturedJson<Record<string, string>>("gcs/ce-headers.finalized.json");
    const capturedObject = capturedJson("gcs/finalized.modelgate.json");
    storageServer.createBucket("acme-ml-artifacts");
    storageServer.subscribeFinalize({ bucket: "acme-ml-artifacts", url: sinkUrl });
    const name = "models/fraud-detector/3f2c1a9/modelgate.json";
    await new Storage(localStorageClientOptions(storageServer.url))
      .bucket("acme-ml-artifacts")
      .file(name)
      .save('{"model":"fraud-detector"}', { resumable: false, contentType: "application/json" });
    await storageServer.idle();
    const delivery = deliveries.find((d) => d.headers["ce-subject"] === `objects/${name}`);
    if (!delivery) throw new Error("no finalize delivery reached the sink");

    expect(ceHeaders(delivery.headers)).toEqual(ceHeaders(capturedHeaders));
    for (const header of [
      "ce-specversion",
      "ce-type",
      "ce-source",
      "ce-subject",
      "ce-bucket",
      "content-type",
    ]) {
      expect(delivery.headers[header], header).toBe(capturedHeaders[header]);
    }
    expect(keys(delivery.body)).toEqual(keys(capturedObject));
    // int64 fields travel as strings, as in the captured event.
    for (const field of ["generation", "metageneration", "size"]) {
      expect(typeof capturedObject[field], field).toBe("string");
      expect(typeof delivery.body[field], field).toBe("string");
    }
  });
});

describe("local Pub/Sub push against the captured push envelope", () => {
  it("has the captured envelope's fields, deliveryAttempt included with a dead-letter policy", async () => {
    const captured = capturedJson<{ message: object }>("pubsub/push.envelope.json");
    const [topic] = await pubsub.createTopic("modelgate-events");
    await pubsub.createTopic("modelgate-events-dead-letter");
    await topic.createSubscription("modelgate-events-push", {
      pushConfig: { pushEndpoint: sinkUrl },
      deadLetterPolicy: { deadLetterTopic: "projects/acme-ml/topics/modelgate-events-dead-letter" },
      enableMessageOrdering: true,
    });
    const id = await pubsub.topic("modelgate-events", { messageOrdering: true }).publishMessage({
      json: { hello: "world" },
      attributes: { source: "contract" },
      orderingKey: "fraud-detector",
    });
    await pubsubServer.idle();
    const delivery = deliveries.find(
      (d) => (d.body.message as { messageId?: string } | undefined)?.messageId === id,
    );
    if (!delivery) throw new Error("no push delivery reached the sink");

    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(ceHeaders(delivery.headers)).toEqual([]);
    expect(keys(delivery.body)).toEqual(keys(captured));
    expect(keys(delivery.body.message)).toEqual(keys(captured.message));
    expect(delivery.body.deliveryAttempt).toBe(1);
  });
});
