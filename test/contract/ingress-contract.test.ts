import { existsSync } from "node:fs";
import { type CloudEvent, cloudEvent, http } from "@google-cloud/functions-framework";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtifactUploadedHandler } from "../../functions/artifact-uploaded/handler.js";
import { parseStorageObjectData } from "../../functions/artifact-uploaded/storage-object.js";
import { createGithubWebhookHandler } from "../../functions/github-webhook/handler.js";
import { githubMaxPayloadBytes } from "../../functions/github-webhook/settings.js";
import { createTektonEventsHandler } from "../../functions/tekton-events/handler.js";
import { tektonMaxBodyBytes } from "../../functions/tekton-events/settings.js";
import { parseConfig } from "../../shared/config.js";
import { decodeMessage } from "../../shared/contracts.js";
import { recordBranchPush } from "../../shared/ingress/branch-pushes.js";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { manifestPath } from "../../shared/manifest.js";
import { decodePushEnvelope } from "../../shared/pubsub-event.js";
import { Topic } from "../../shared/topology.js";
import { ingressTestDeps } from "../support/ingress-deps.js";
import { captured, capturedFixturesDir, capturedJson } from "../support/ingress-fixtures.js";
import { type ServedFunction, send, serveFunction } from "../support/ingress-http.js";
import { testManifest } from "../support/ingress-manifest.js";

/**
 * The contract suite: the real captured payloads in MODELGATE_FIXTURES (default ../shared/fixtures), sent as
 * their exact bytes through the Functions Framework to the ingress handlers, with in-memory ports behind them.
 */
const secret = "contract-webhook-secret";
const token = "contract-sink-token";
const config = parseConfig(
  `
project: acme-ml
region: us-central1
bucket: acme-ml-artifacts
github:
  repositories: [chmouel/scratchmyback, Octocoders/Hello-World, Codertocat/Hello-World, acme/fraud-detector]
tekton:
  namespaces: [ml-ci]
models:
  scratch:
    repository: chmouel/scratchmyback
    branch: main
    paths: [OWNERS]
    promotion: { tagPattern: "0.*", promoters: [chmouel] }
    training: { container: "us-docker.pkg.dev/acme-ml/modelgate/scratch-trainer:1" }
    serving: { container: "us-docker.pkg.dev/acme-ml/modelgate/scratch-serving:1" }
    endpoint: scratch
    verification: { goldenSet: golden/scratch/golden.jsonl }
  scratch-docs:
    repository: chmouel/scratchmyback
    paths: ["docs/**"]
    promotion: { tagPattern: "docs-*" }
    training: { container: "us-docker.pkg.dev/acme-ml/modelgate/docs-trainer:1" }
    serving: { container: "us-docker.pkg.dev/acme-ml/modelgate/docs-serving:1" }
    endpoint: scratch-docs
    verification: { goldenSet: golden/scratch-docs/golden.jsonl }
  hello:
    repository: Codertocat/Hello-World
    paths: ["**"]
    training: { container: "us-docker.pkg.dev/acme-ml/modelgate/hello-trainer:1" }
    serving: { container: "us-docker.pkg.dev/acme-ml/modelgate/hello-serving:1" }
    endpoint: hello
    verification: { goldenSet: golden/hello/golden.jsonl }
  fraud-detector:
    repository: acme/fraud-detector
    paths: ["models/fraud-detector/**"]
    training: { container: "us-docker.pkg.dev/acme-ml/modelgate/fraud-trainer:1" }
    serving: { container: "us-docker.pkg.dev/acme-ml/modelgate/fraud-serving:1" }
    endpoint: fraud-detector
    verification: { goldenSet: golden/fraud-detector/golden.jsonl }
    tekton: { pipelines: [fraud-detector-build], emits: artifact-ready }
`,
  "contract config",
);

// The clock reads a minute after the captured tag push (its repository.pushed_at): a promotion is judged by its age.
const deps = {
  ...ingressTestDeps({ config }),
  now: () =>
    new Date(
      (capturedJson<{ repository: { pushed_at: number } }>("github/push.tag.json").repository.pushed_at +
        60) *
        1000,
    ),
};
http(
  "githubWebhookContract",
  serveIngress(
    "githubWebhookContract",
    { maxBodyBytes: githubMaxPayloadBytes },
    createGithubWebhookHandler({ ...deps, secrets: [secret] }),
  ),
);
http(
  "tektonEventsContract",
  serveIngress(
    "tektonEventsContract",
    { maxBodyBytes: tektonMaxBodyBytes },
    createTektonEventsHandler({ ...deps, tokens: [token] }),
  ),
);
const artifactUploaded = createArtifactUploadedHandler(deps);
cloudEvent("artifactUploadedContract", (event: CloudEvent<unknown>) => artifactUploaded(event));

let github: ServedFunction;
let tekton: ServedFunction;
let storage: ServedFunction;

beforeAll(async () => {
  if (!existsSync(capturedFixturesDir())) {
    throw new Error(`no captured fixtures at ${capturedFixturesDir()}: set MODELGATE_FIXTURES`);
  }
  github = await serveFunction("githubWebhookContract");
  tekton = await serveFunction("tektonEventsContract");
  storage = await serveFunction("artifactUploadedContract");
});

afterAll(async () => {
  await github?.close();
  await tekton?.close();
  await storage?.close();
});

/** A captured GitHub delivery: its headers file, its exact body bytes, signed now with the real signing function. */
async function deliverGithub(name: string) {
  const body = captured(`github/${name}.json`);
  const headers = capturedJson<Record<string, string>>(`github/headers.${name}.json`);
  return send(github.url, {
    headers: { ...headers, "X-Hub-Signature-256": await sign(secret, body.toString("utf8")) },
    body,
  });
}

/** The message published last, with its topic. */
function lastPublished(): { topic: string; message: Record<string, unknown> } {
  const entry = deps.publisher.published.at(-1);
  if (!entry) throw new Error("nothing was published");
  return { topic: entry.topic, message: entry.message as Record<string, unknown> };
}

describe("GitHub deliveries (captured payloads)", () => {
  it("ping → 200", async () => {
    expect(await deliverGithub("ping")).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("push.branch → training-requested for the model whose paths it touches; the other model is ignored", async () => {
    const before = deps.publisher.published.length;
    const response = await deliverGithub("push.branch");
    expect(response).toMatchObject({
      status: 202,
      body: {
        status: "accepted",
        reason: "scratch-docs: no pushed commit touches docs/**",
        published: [
          {
            topic: Topic.trainingRequested,
            model: "scratch",
            commit: "6fe4cf6bdee23d427228ccac175e288c07c1c95f",
          },
        ],
      },
    });
    expect(deps.publisher.published.length).toBe(before + 1);
    const { message } = lastPublished();
    expect(message).toMatchObject({
      model: "scratch",
      repository: "chmouel/scratchmyback",
      ref: "refs/heads/main",
      requestedBy: "chmouel",
      correlationId: "cb522217-e53d-11f1-9379-ad91b37523a5",
    });
  });

  it("push.tag → deployment-requested for the commit in head_commit", async () => {
    const response = await deliverGithub("push.tag");
    expect(response.status).toBe(202);
    const { topic, message } = lastPublished();
    expect(topic).toBe(Topic.deploymentRequested);
    const headCommit = (capturedJson("github/push.tag.json").head_commit as { id: string }).id;
    expect(message).toMatchObject({
      model: "scratch",
      commit: headCommit,
      tag: "0.1",
      reason: "promotion-tag",
    });
  });

  it("push.tag-deleted → ignored", async () => {
    const before = deps.publisher.published.length;
    expect(await deliverGithub("push.tag-deleted")).toMatchObject({
      status: 200,
      body: { status: "ignored", reason: "tag simple-tag was deleted" },
    });
    expect(deps.publisher.published.length).toBe(before);
  });

  it.each(["create", "delete", "release.published"])("%s → ignored with a reason", async (name) => {
    const response = await deliverGithub(name);
    expect(response).toMatchObject({
      status: 200,
      body: { status: "ignored", reason: expect.stringContaining("is not handled") },
    });
  });

  it("a redelivery of the same captured delivery → 200 duplicate", async () => {
    expect(await deliverGithub("ping")).toMatchObject({ status: 200, body: { status: "duplicate" } });
  });
});

describe("Tekton CloudEvents (captured payloads)", () => {
  const deliverTekton = (name: string) =>
    send(tekton.url, {
      headers: {
        ...capturedJson<Record<string, string>>(`tekton/${name}.headers.json`),
        "X-Modelgate-Token": token,
      },
      body: captured(`tekton/${name}.body.json`),
    });

  it("pipelinerun.successful → artifact-ready after re-reading the manifest", async () => {
    const manifest = testManifest({
      model: "fraud-detector",
      commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
      repository: "acme/fraud-detector",
    });
    await deps.blobs.write(manifestPath("fraud-detector", "3f2c1a9"), JSON.stringify(manifest));
    // githubWebhook saw the commit pushed to fraud-detector's branch.
    await recordBranchPush(deps.blobs, {
      model: "fraud-detector",
      commit: manifest.commit,
      ref: "refs/heads/main",
      deliveryId: "contract-push",
      recordedAt: deps.now().toISOString(),
    });
    const response = await deliverTekton("pipelinerun.successful");
    expect(response).toMatchObject({ status: 202, body: { status: "accepted" } });
    const { topic, message } = lastPublished();
    expect(topic).toBe(Topic.artifactReady);
    expect(message).toMatchObject({
      model: "fraud-detector",
      commit: "3f2c1a9",
      artifactUri: "gs://acme-ml-artifacts/models/fraud-detector/3f2c1a9/",
      correlationId: "77f0c2a4-5e1b-4d9a-8c36-b4e2f91a0d57",
    });
  });

  it("pipelinerun.failed → a ledger record", async () => {
    const before = deps.publisher.published.length;
    expect(await deliverTekton("pipelinerun.failed")).toMatchObject({
      status: 200,
      body: { status: "recorded" },
    });
    expect(deps.publisher.published.length).toBe(before);
    expect(
      await deps.ledger.read("fraud-detector", "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f"),
    ).toMatchObject([
      {
        step: "tektonEvents",
        action: "run-failed",
        outcome: "failed",
        correlationId: "c5e1a9f3-7d2b-4b8e-a046-3f9d1c7b5e82",
      },
    ]);
  });

  it("pipelinerun.started → acknowledged and ignored", async () => {
    expect(await deliverTekton("pipelinerun.started")).toMatchObject({
      status: 200,
      body: { status: "ignored" },
    });
  });

  it("taskrun.successful of a PipelineRun → ignored (the PipelineRun's event counts)", async () => {
    expect(await deliverTekton("taskrun.successful")).toMatchObject({
      status: 200,
      body: {
        status: "ignored",
        reason: expect.stringContaining("belongs to PipelineRun fraud-detector-build-7x9kq"),
      },
    });
  });

  it("the captured event without the forwarder's token → 401", async () => {
    const response = await send(tekton.url, {
      headers: capturedJson<Record<string, string>>("tekton/pipelinerun.successful.headers.json"),
      body: captured("tekton/pipelinerun.successful.body.json"),
    });
    expect(response.status).toBe(401);
  });
});

describe("Cloud Storage finalize CloudEvents (captured payloads)", () => {
  it("models/fraud-detector/3f2c1a9/modelgate.json → artifact-ready after reading the manifest the test wrote", async () => {
    const data = captured("gcs/finalized.modelgate.json");
    const object = capturedJson<{ name: string; generation: string }>("gcs/finalized.modelgate.json");
    const manifest = testManifest({
      model: "fraud-detector",
      commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
      repository: "acme/fraud-detector",
    });
    // The bucket holds the object at the generation the event names.
    deps.blobs.objects.set(object.name, {
      name: object.name,
      generation: object.generation,
      data: Buffer.from(JSON.stringify(manifest)),
    });
    const response = await send(storage.url, {
      headers: capturedJson<Record<string, string>>("gcs/ce-headers.finalized.json"),
      body: data,
    });
    expect(response).toMatchObject({ status: 200, body: { status: "accepted" } });
    const { topic, message } = lastPublished();
    expect(topic).toBe(Topic.artifactReady);
    expect(message).toMatchObject({
      model: "fraud-detector",
      commit: "3f2c1a9",
      manifestGeneration: "1718099412351762",
      correlationId: "11473617497342612",
      causedBy: [
        { source: "//storage.googleapis.com/projects/_/buckets/acme-ml-artifacts", id: "11473617497342612" },
      ],
    });
  });

  it.each([
    ["StorageObjectData-simple.json", "1587627537231057"],
    ["StorageObjectData-complex.json", "96883251"],
  ])("%s decodes with int64 fields as strings or numbers", (file, generation) => {
    expect(parseStorageObjectData(capturedJson(`gcs/${file}`)).generation).toBe(generation);
  });

  it("an object in another bucket → refused", async () => {
    const body = captured("gcs/StorageObjectData-simple.json");
    const headers = { ...capturedJson<Record<string, string>>("gcs/ce-headers.finalized.json") };
    headers["ce-bucket"] = "some-bucket";
    headers["ce-source"] = "//storage.googleapis.com/projects/_/buckets/some-bucket";
    headers["ce-id"] = "contract-foreign";
    const response = await send(storage.url, { headers, body });
    expect(response).toMatchObject({ status: 200, body: { status: "refused" } });
  });
});

describe("Pub/Sub MessagePublishedData shapes (captured payloads)", () => {
  it.each([
    ["MessagePublishedData-text.json", "test message 3", "message-id"],
    ["MessagePublishedData-binary.json", "\u0001\u0002\u0003\u0004", "message-id"],
    ["MessagePublishedData-duplicatedFields.json", "\u0001\u0002\u0003\u0004", "message-id"],
    ["push.envelope.json", "Hello Cloud Pub/Sub! Here is my message!", "2070443601311540"],
  ])("%s decodes", (file, text, messageId) => {
    const decoded = decodePushEnvelope(capturedJson(`pubsub/${file}`));
    expect(decoded.data.toString("utf8")).toBe(text);
    expect(decoded.messageId).toBe(messageId);
    expect(decoded.deliveryAttempt).toBe(1);
  });

  it("a Cloud Storage notification's data is StorageObjectData", () => {
    const decoded = decodePushEnvelope(capturedJson("pubsub/push.gcs-notification.json"));
    expect(decoded.attributes.eventType).toBe("OBJECT_FINALIZE");
    expect(parseStorageObjectData(decoded.data)).toMatchObject({
      bucket: "acme-ml-artifacts",
      name: "models/fraud-detector/3f2c1a9/modelgate.json",
      generation: "1718099412351762",
    });
  });

  it("the Eventarc messagePublished body decodes, and its payload is not a modelgate contract", () => {
    const decoded = decodePushEnvelope(capturedJson("pubsub/messagePublished.body.json"));
    expect(decoded.messageId).toBe("11473704012345678");
    expect(JSON.parse(decoded.data.toString("utf8"))).toMatchObject({ model: "fraud-detector" });
    expect(() => decodeMessage(Topic.artifactReady, decoded.data)).toThrow(/does not match its contract/);
  });

  it("what the ingress functions published above decodes against each topic's contract", () => {
    expect(deps.publisher.published.length).toBeGreaterThan(0);
    for (const { topic, message } of deps.publisher.published) {
      expect(() => decodeMessage(topic, JSON.stringify(message))).not.toThrow();
    }
  });
});
