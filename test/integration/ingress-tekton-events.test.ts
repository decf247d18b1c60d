import { beforeAll, describe, expect, it } from "vitest";
import { recordBranchPush } from "../../shared/ingress/branch-pushes.js";
import { manifestPath } from "../../shared/manifest.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { ownJson } from "../support/ingress-fixtures.js";
import { send } from "../support/ingress-http.js";
import { testManifest } from "../support/ingress-manifest.js";
import { serveForFile } from "../support/ingress-served.js";
import { binaryTektonEvent, sinkToken, structuredTektonEvent } from "../support/ingress-tekton.js";

const file = serveForFile(FunctionName.tektonEvents, {
  topics: [Topic.artifactReady, Topic.trainingRequested],
  env: { TEKTON_SINK_TOKEN: sinkToken },
});
let manifestGeneration: string;

beforeAll(async () => {
  const manifest = testManifest({
    model: "fraud-detector",
    commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
    repository: "acme/fraud-detector",
  });
  const written = await file.stack.blobs.write(
    manifestPath("fraud-detector", "3f2c1a9"),
    JSON.stringify(manifest),
  );
  if (!written.written) throw new Error("manifest not written");
  // githubWebhook saw the run's commit pushed to fraud-detector's branch.
  await recordBranchPush(file.stack.blobs, {
    model: "fraud-detector",
    commit: manifest.commit,
    ref: "refs/heads/main",
    deliveryId: "int-main-push",
    recordedAt: new Date().toISOString(),
  });
  manifestGeneration = written.generation;
});

const successful = () => ownJson<Record<string, any>>("tekton/pipelinerun-successful.json");

describe("tektonEvents served by the Functions Framework", () => {
  it.each([
    ["binary", binaryTektonEvent],
    ["structured", structuredTektonEvent],
  ] as const)("publishes artifact-ready for a successful run sent in %s mode", async (mode, encode) => {
    const response = await send(file.fn.url, encode(successful(), { id: `int-${mode}` }));
    expect(response).toMatchObject({ status: 202, body: { status: "accepted" } });
    const [message] = await file.stack.pull(Topic.artifactReady, 1);
    expect(message).toMatchObject({
      model: "fraud-detector",
      commit: "3f2c1a9",
      artifactUri: "gs://modelgate-artifacts/models/fraud-detector/3f2c1a9/",
      manifestGeneration,
      correlationId: `int-${mode}`,
    });
  });

  it("acknowledges a resent event without publishing again", async () => {
    const event = binaryTektonEvent(successful(), { id: "int-resent" });
    expect((await send(file.fn.url, event)).status).toBe(202);
    await file.stack.pull(Topic.artifactReady, 1);
    expect(await send(file.fn.url, event)).toMatchObject({ status: 200, body: { status: "duplicate" } });
    expect(await file.stack.drain(Topic.artifactReady)).toEqual([]);
  });

  it("records a failed run in the bucket's ledger", async () => {
    const event = binaryTektonEvent(ownJson("tekton/pipelinerun-failed.json"), {
      type: "dev.tekton.event.pipelinerun.failed.v1",
      id: "int-failed",
    });
    expect(await send(file.fn.url, event)).toMatchObject({ status: 200, body: { status: "recorded" } });
    expect(
      await file.stack.ledger.read("fraud-detector", "9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"),
    ).toMatchObject([
      { step: "tektonEvents", action: "run-failed", outcome: "failed", correlationId: "int-failed" },
    ]);
  });

  it("publishes training-requested for a run mapped that way, of a commit pushed to the model's branch", async () => {
    const body = ownJson<Record<string, any>>("tekton/taskrun-churn-successful.json");
    await recordBranchPush(file.stack.blobs, {
      model: "churn",
      commit: body.taskRun.spec.params[1].value,
      ref: "refs/heads/main",
      deliveryId: "int-churn-push",
      recordedAt: new Date().toISOString(),
    });
    const response = await send(file.fn.url, binaryTektonEvent(body));
    expect(response.status).toBe(202);
    const [message] = await file.stack.pull(Topic.trainingRequested, 1);
    expect(message).toMatchObject({
      model: "churn",
      trigger: "tekton",
      image: expect.stringContaining("@sha256:"),
    });
  });

  it("refuses a run that asks to train an image of its own choosing, and publishes nothing", async () => {
    const body = ownJson<Record<string, any>>("tekton/taskrun-churn-successful.json");
    body.taskRun.status.taskResults[0].value = "docker.io/mallory/miner:latest";
    const response = await send(file.fn.url, binaryTektonEvent(body));
    expect(response).toMatchObject({ status: 422, body: { status: "refused" } });
    expect(await file.stack.drain(Topic.trainingRequested)).toEqual([]);
  });
});

describe("tektonEvents refuses strangers over HTTP", () => {
  const body = JSON.stringify(successful());
  const headers = () => binaryTektonEvent(successful()).headers;
  type Case = [
    name: string,
    make: () => { method?: string; headers: Record<string, string>; body?: string },
    status: number,
  ];
  const cases: Case[] = [
    ["GET", () => ({ method: "GET", headers: {} }), 405],
    ["no token", () => binaryTektonEvent(successful(), { token: null }), 401],
    ["a wrong token", () => binaryTektonEvent(successful(), { token: "nope" }), 401],
    [
      "the token in the URL instead of the header",
      () => binaryTektonEvent(successful(), { token: null }),
      401,
    ],
    ["a text body", () => ({ headers: { ...headers(), "content-type": "text/plain" }, body }), 415],
    ["an empty body", () => ({ headers: headers(), body: "" }), 400],
    [
      "a namespace that is not allowed",
      () => {
        const run = successful();
        run.pipelineRun.metadata.namespace = "default";
        return binaryTektonEvent(run);
      },
      403,
    ],
    [
      "a missing ce-type",
      () => {
        const { "ce-type": _, ...rest } = headers();
        return { headers: rest, body };
      },
      400,
    ],
  ];

  it.each(cases)("refuses %s", async (name, make, status) => {
    const request = make();
    const url = name.includes("URL") ? `${file.fn.url}?token=${sinkToken}` : file.fn.url;
    const response = await send(url, request);
    expect(response).toMatchObject({ status, body: { status: "refused" } });
    expect(await file.stack.drain(Topic.artifactReady)).toEqual([]);
  });
});
