import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestPath } from "../../shared/manifest.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { send } from "../support/ingress-http.js";
import { testManifest } from "../support/ingress-manifest.js";
import { serveForFile } from "../support/ingress-served.js";

const file = serveForFile(FunctionName.artifactUploaded, { topics: [Topic.artifactReady] });
let unsubscribe: () => void;

beforeAll(async () => {
  // The local storage server delivers finalize events as an Eventarc trigger on the bucket would.
  unsubscribe = file.stack.storage.subscribeFinalize({ bucket: "modelgate-artifacts", url: file.fn.url });
});

afterAll(async () => {
  unsubscribe?.();
});

const manifestFor = (commit: string) =>
  JSON.stringify(testManifest({ model: "fraud-detector", commit, repository: "acme/fraud-detector" }));

describe("artifactUploaded on the bucket's finalize events", () => {
  it("publishes artifact-ready when the trainer writes modelgate.json, and ignores the model files", async () => {
    const commit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";
    await file.stack.blobs.write("models/fraud-detector/3f2c1a9/model/model.joblib", Buffer.from("weights"));
    const written = await file.stack.blobs.write(
      manifestPath("fraud-detector", "3f2c1a9"),
      manifestFor(commit),
    );
    await file.stack.storage.idle();
    const [message] = await file.stack.pull(Topic.artifactReady, 1);
    expect(message).toMatchObject({
      model: "fraud-detector",
      commit: "3f2c1a9",
      repository: "acme/fraud-detector",
      artifactUri: "gs://modelgate-artifacts/models/fraud-detector/3f2c1a9/",
      manifestGeneration: written.written ? written.generation : "?",
    });
    expect(await file.stack.drain(Topic.artifactReady)).toEqual([]);
    expect(await file.stack.ledger.read("fraud-detector", "3f2c1a9")).toMatchObject([
      { step: "artifactUploaded", action: Topic.artifactReady, outcome: "accepted" },
    ]);
  });

  it("publishes nothing for a manifest that names another commit, and records why", async () => {
    await file.stack.blobs.write(
      manifestPath("fraud-detector", "abcdef1"),
      manifestFor("0123456789abcdef0123456789abcdef01234567"),
    );
    await file.stack.storage.idle();
    expect(await file.stack.drain(Topic.artifactReady)).toEqual([]);
    expect(await file.stack.ledger.read("fraud-detector", "abcdef1")).toMatchObject([
      { step: "artifactUploaded", action: "artifact-refused", outcome: "refused" },
    ]);
  });
});

describe("artifactUploaded over HTTP", () => {
  const objectEvent = async (bucket: string, generation: string | number, structured = false) => {
    const name = manifestPath("fraud-detector", "c0ffee1");
    const data = { bucket, name, generation, metageneration: 1, size: 100, kind: "storage#object" };
    const attributes = {
      id: `direct-${bucket}-${String(generation)}-${structured}`,
      source: `//storage.googleapis.com/projects/_/buckets/${bucket}`,
      specversion: "1.0",
      type: "google.cloud.storage.object.v1.finalized",
      subject: `objects/${name}`,
      time: "2024-06-11T09:50:12.351762Z",
      bucket,
    };
    if (structured) {
      return {
        headers: { "content-type": "application/cloudevents+json" },
        body: JSON.stringify({ ...attributes, data }),
      };
    }
    const headers = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`ce-${k}`, v]));
    return {
      headers: { ...headers, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(data),
    };
  };

  it.each([
    ["binary", false],
    ["structured", true],
  ])("accepts a %s-mode event whose generation is a JSON number", async (_mode, structured) => {
    const written = await file.stack.blobs.write(
      manifestPath("fraud-detector", "c0ffee1"),
      manifestFor("c0ffee1000000000000000000000000000000000"),
    );
    await file.stack.storage.idle();
    await file.stack.drain(Topic.artifactReady);
    if (!written.written) throw new Error("not written");
    // The finalize delivery already handled this generation: the direct event is its duplicate.
    const response = await send(
      file.fn.url,
      await objectEvent("modelgate-artifacts", Number(written.generation), structured),
    );
    expect(response).toMatchObject({ status: 200, body: { status: "duplicate" } });
  });

  it("refuses an event from another bucket without throwing (no redelivery)", async () => {
    const response = await send(file.fn.url, await objectEvent("someone-elses-bucket", "1"));
    expect(response).toMatchObject({
      status: 200,
      body: {
        status: "refused",
        reason: "bucket someone-elses-bucket is not the artifact bucket modelgate-artifacts",
      },
    });
    expect(await file.stack.drain(Topic.artifactReady)).toEqual([]);
  });
});
