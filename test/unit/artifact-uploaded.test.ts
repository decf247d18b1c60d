import type { CloudEvent } from "@google-cloud/functions-framework";
import { describe, expect, it } from "vitest";
import { createArtifactUploadedHandler } from "../../functions/artifact-uploaded/handler.js";
import { TransientError } from "../../shared/errors.js";
import { manifestPath } from "../../shared/manifest.js";
import { Topic } from "../../shared/topology.js";
import { ingressTestDeps } from "../support/ingress-deps.js";
import { ownJson } from "../support/ingress-fixtures.js";
import { testManifest } from "../support/ingress-manifest.js";

const objectName = manifestPath("fraud-detector", "3f2c1a9");

function setup() {
  const deps = ingressTestDeps();
  const handler = createArtifactUploadedHandler(deps);
  const writeManifest = async (
    fields: Partial<{ model: string; commit: string; repository: string }> = {},
  ) => {
    const manifest = testManifest({
      model: "fraud-detector",
      commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
      repository: "acme/fraud-detector",
      ...fields,
    });
    const result = await deps.blobs.write(objectName, JSON.stringify(manifest));
    if (!result.written) throw new Error("not written");
    return result.generation;
  };
  return { ...deps, handler, writeManifest };
}

/** A finalize event as Eventarc delivers it, for an object and generation in the bucket. */
function finalized(
  data: Record<string, unknown>,
  attributes: Record<string, unknown> = {},
): CloudEvent<unknown> {
  const bucket = String(data.bucket);
  return {
    specversion: "1.0",
    id: "11473617497342612",
    source: `//storage.googleapis.com/projects/_/buckets/${bucket}`,
    type: "google.cloud.storage.object.v1.finalized",
    subject: `objects/${String(data.name)}`,
    time: "2024-06-11T09:50:12.351762Z",
    bucket,
    data,
    ...attributes,
  } as CloudEvent<unknown>;
}

const objectData = (generation: string | number, name = objectName) => ({
  ...ownJson("gcs/finalized-manifest.json"),
  name,
  generation,
});

describe("artifactUploaded", () => {
  it.each([
    ["a string", (g: string) => g],
    ["a number", (g: string) => Number(g)],
  ])("publishes artifact-ready for a finalized manifest whose generation is %s", async (_kind, form) => {
    const { handler, publisher, ledger, writeManifest } = setup();
    const generation = await writeManifest();
    const outcome = await handler(finalized(objectData(form(generation))));
    expect(outcome).toEqual({
      status: "accepted",
      published: [
        { topic: Topic.artifactReady, model: "fraud-detector", commit: "3f2c1a9", messageId: "m-1" },
      ],
    });
    expect(publisher.on(Topic.artifactReady)).toEqual([
      {
        schemaVersion: 1,
        correlationId: "11473617497342612",
        model: "fraud-detector",
        commit: "3f2c1a9",
        repository: "acme/fraud-detector",
        causedBy: [
          {
            source: "//storage.googleapis.com/projects/_/buckets/modelgate-artifacts",
            id: "11473617497342612",
          },
        ],
        createdAt: "2024-06-11T10:00:00.000Z",
        artifactUri: "gs://modelgate-artifacts/models/fraud-detector/3f2c1a9/",
        manifestGeneration: generation,
      },
    ]);
    expect(await ledger.read("fraud-detector", "3f2c1a9")).toMatchObject([
      {
        step: "artifactUploaded",
        action: Topic.artifactReady,
        outcome: "accepted",
        details: {
          object: `gs://modelgate-artifacts/${objectName}`,
          generation,
          eventId: "11473617497342612",
        },
      },
    ]);
  });

  it("publishes once per object generation", async () => {
    const { handler, publisher, writeManifest } = setup();
    const generation = await writeManifest();
    await handler(finalized(objectData(generation)));
    const again = await handler(finalized(objectData(generation), { id: "another-delivery" }));
    expect(again).toEqual({
      status: "duplicate",
      reason: `modelgate-artifacts/${objectName}#${generation} was already handled`,
    });
    expect(publisher.published).toHaveLength(1);
  });

  it("ignores every other object quietly, at debug level", async () => {
    const { handler, publisher, logLines, blobs } = setup();
    for (const name of [
      "models/fraud-detector/3f2c1a9/model/model.joblib",
      "datasets/fraud-detector/train.jsonl",
      "models/fraud-detector/modelgate.json",
    ]) {
      const outcome = await handler(finalized(objectData("1", name)));
      expect(outcome.status).toBe("ignored");
    }
    expect(publisher.published).toEqual([]);
    expect(blobs.objects.size).toBe(0);
    expect(logLines.map((l) => l.severity)).toEqual(["DEBUG", "DEBUG", "DEBUG"]);
  });

  it("ignores other event types", async () => {
    const { handler } = setup();
    const outcome = await handler(
      finalized(objectData("1"), { type: "google.cloud.storage.object.v1.deleted" }),
    );
    expect(outcome).toMatchObject({ status: "ignored" });
  });

  it.each([
    ["the data", { bucket: "someone-else" }, {}],
    ["the bucket attribute", {}, { bucket: "someone-else" }],
    ["the source", {}, { source: "//storage.googleapis.com/projects/_/buckets/someone-else" }],
  ])("refuses an event whose %s names another bucket", async (_where, dataChange, attributes) => {
    const { handler, publisher, warnings, writeManifest } = setup();
    const generation = await writeManifest();
    const outcome = await handler(finalized({ ...objectData(generation), ...dataChange }, attributes));
    expect(outcome).toEqual({
      status: "refused",
      reason: "bucket someone-else is not the artifact bucket modelgate-artifacts",
    });
    expect(publisher.published).toEqual([]);
    expect(warnings()).toMatchObject([{ severity: "WARNING", bucket: "someone-else" }]);
  });

  it.each([
    ["missing generation", { generation: undefined }, /generation/],
    ["a negative generation", { generation: -1 }, /generation/],
    ["a fractional generation", { generation: "12.5" }, /generation/],
    ["no name", { name: undefined }, /name/],
  ])("refuses data with %s", async (_name, change, reason) => {
    const { handler, publisher } = setup();
    const outcome = await handler(finalized({ ...objectData("1"), ...change }));
    expect(outcome).toMatchObject({ status: "refused", reason: expect.stringMatching(reason) });
    expect(publisher.published).toEqual([]);
  });

  it("refuses and records a manifest that names another commit", async () => {
    const { handler, publisher, ledger, writeManifest, warnings } = setup();
    const generation = await writeManifest({ commit: "0123456789abcdef0123456789abcdef01234567" });
    const outcome = await handler(finalized(objectData(generation)));
    expect(outcome).toMatchObject({
      status: "refused",
      reason: expect.stringMatching(/names commit 0123456789/),
    });
    expect(publisher.published).toEqual([]);
    expect(await ledger.read("fraud-detector", "3f2c1a9")).toMatchObject([
      { action: "artifact-refused", outcome: "refused" },
    ]);
    expect(warnings()).toHaveLength(1);
    // Recorded as handled: a redelivery does not try again.
    expect((await handler(finalized(objectData(generation)))).status).toBe("duplicate");
  });

  it("refuses a manifest of a model that is not configured", async () => {
    const { handler, publisher } = setup();
    const outcome = await handler(finalized(objectData("1", manifestPath("unknown-model", "abcdef1"))));
    expect(outcome).toEqual({ status: "refused", reason: "model unknown-model is not configured" });
    expect(publisher.published).toEqual([]);
  });

  it("refuses a manifest of a model named like an Object member (constructor)", async () => {
    const { handler, publisher } = setup();
    const outcome = await handler(finalized(objectData("1", manifestPath("constructor", "abcdef1"))));
    expect(outcome).toEqual({ status: "refused", reason: "model constructor is not configured" });
    expect(publisher.published).toEqual([]);
  });

  it("ignores an event for a generation that has since been overwritten", async () => {
    const { handler, publisher, writeManifest } = setup();
    const first = await writeManifest();
    const second = await writeManifest();
    const outcome = await handler(finalized(objectData(first)));
    expect(outcome).toEqual({
      status: "ignored",
      reason: `gs://modelgate-artifacts/${objectName} is at generation ${second} now, not ${first}`,
    });
    expect(publisher.published).toEqual([]);
  });

  it("throws on a transient failure so Eventarc redelivers, and succeeds on the redelivery", async () => {
    const { handler, publisher, writeManifest } = setup();
    const generation = await writeManifest();
    publisher.failWith = new TransientError("Pub/Sub unavailable");
    await expect(handler(finalized(objectData(generation)))).rejects.toThrow("Pub/Sub unavailable");
    publisher.failWith = undefined;
    expect((await handler(finalized(objectData(generation)))).status).toBe("accepted");
    expect(publisher.published).toHaveLength(1);
  });
});
