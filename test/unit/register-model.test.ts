import { describe, expect, it } from "vitest";
import { registerModelStep } from "../../functions/register-model/step.js";
import { type ArtifactReady, encodeMessage } from "../../shared/contracts.js";
import { TransientError, UpstreamError } from "../../shared/errors.js";
import { Label } from "../../shared/model-ports.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import {
  addToRegistryIndex,
  readRegistryIndex,
  registrationPath,
  registryIndexPath,
} from "../../shared/registry-index.js";
import { Topic } from "../../shared/topology.js";
import { artifactNotice } from "../support/artifact-notice.js";
import { FakeVertex } from "../support/fake-vertex.js";
import { fraudDetectorLabels } from "../support/fraud-detector-resources.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { rawPushEnvelope } from "../support/push-envelope.js";

const commit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";
const otherCommit = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
const serving = "us-docker.pkg.dev/local-project/modelgate/fraud-detector-serving:latest";

function artifactReady(forCommit = commit, overrides: Partial<ArtifactReady> = {}): ArtifactReady {
  return artifactNotice(forCommit, overrides);
}

function manifest(forCommit = commit, overrides: Record<string, unknown> = {}) {
  return {
    schemaVersion: 1,
    model: "fraud-detector",
    commit: forCommit,
    repository: "acme/fraud-detector",
    framework: "modelgate-example-logistic-regression",
    metrics: { accuracy: 0.93, auc: 0.97 },
    baseline: { kind: "numeric", binEdges: [0, 0.5, 1], counts: [80, 20] },
    serving: { container: serving, outputKey: "score" },
    artifactDir: "model/",
    created: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

function pubsubEvent(data: Buffer, messageId: string, deliveryAttempt = 1) {
  return rawPushEnvelope(Topic.artifactReady, data, { messageId, deliveryAttempt });
}

async function setup(options: { autoDeploy?: boolean } = {}) {
  const runtime = memoryRuntime();
  const model = runtime.config.models["fraud-detector"];
  if (model && options.autoDeploy !== undefined) model.promotion.autoDeploy = options.autoDeploy;
  const vertex = new FakeVertex();
  const handler = pubsubFunction(
    registerModelStep(() => ({ registry: vertex })),
    () => runtime,
  );
  const deliver = async (message: ArtifactReady, messageId = "m-1", attempt = 1) =>
    handler(pubsubEvent(encodeMessage(Topic.artifactReady, message).data, messageId, attempt));
  const writeManifest = (forCommit: string, body: unknown) =>
    runtime.blobs.write(`models/fraud-detector/${forCommit}/modelgate.json`, JSON.stringify(body));
  return { runtime, vertex, deliver, writeManifest };
}

/** Registers `commit`, then `otherCommit`, each from its own manifest. */
async function registerBothCommits({ deliver, writeManifest }: Awaited<ReturnType<typeof setup>>) {
  await writeManifest(commit, manifest());
  await writeManifest(otherCommit, manifest(otherCommit));
  await deliver(artifactReady());
  await deliver(artifactReady(otherCommit), "m-2");
}

async function ledgerEntries(runtime: ReturnType<typeof memoryRuntime>, forCommit = commit) {
  return runtime.ledger.read("fraud-detector", forCommit);
}

describe("registerModel step", () => {
  it("uploads the first version with labels, the commit alias and the artifact's model directory", async () => {
    const { runtime, vertex, deliver, writeManifest } = await setup();
    await writeManifest(commit, manifest());
    await deliver(artifactReady());

    const resource = "projects/local-project/locations/us-central1/models/fraud-detector";
    const [version] = vertex.versions(resource);
    expect(version).toMatchObject({
      versionId: "1",
      aliases: ["default", "commit-3f2c1a9e8b7d"],
      artifactUri: `gs://modelgate-artifacts/models/fraud-detector/${commit}/model/`,
      labels: fraudDetectorLabels(commit, "corr-3f2c1a"),
    });
    const [upload] = vertex.calls.filter((c) => c.method === "uploadVersion");
    expect(upload?.args[0]).toMatchObject({ servingContainer: { imageUri: serving } });
    expect(upload?.args[0]).not.toHaveProperty("parentModel");

    const uploaded = (await ledgerEntries(runtime)).find((e) => e.action === "model-version-uploaded");
    expect(uploaded).toMatchObject({
      outcome: "succeeded",
      correlationId: "corr-3f2c1a",
      details: { response: { response: { model: resource, modelVersionId: "1" } } },
    });
  });

  it("registers the manifest's full SHA from a short-SHA directory, so a promotion of the full SHA finds it", async () => {
    const { runtime, vertex, deliver, writeManifest } = await setup({ autoDeploy: true });
    const short = commit.slice(0, 7);
    await writeManifest(short, manifest(commit, { repository: "Acme/Fraud-Detector" }));
    await deliver(artifactReady(short));

    const resource = "projects/local-project/locations/us-central1/models/fraud-detector";
    expect(vertex.versions(resource)).toMatchObject([
      { aliases: ["default", "commit-3f2c1a9e8b7d"], labels: { [Label.commit]: commit } },
    ]);
    expect(runtime.publisher.on(Topic.deploymentRequested)).toMatchObject([{ commit }]);
    const { index } = await readRegistryIndex(runtime.blobs, "fraud-detector");
    expect(index.versions.map((v) => v.commit)).toEqual([commit]);
    expect((await ledgerEntries(runtime, short)).map((e) => e.action)).not.toContain("step-failed");
  });

  it("reuses a version registered under another form of the same commit", async () => {
    const { vertex, deliver, writeManifest } = await setup();
    const short = commit.slice(0, 7);
    await writeManifest(short, manifest(short));
    await deliver(artifactReady(short));
    await writeManifest(commit, manifest(commit));
    await deliver(artifactReady(commit), "m-2");
    expect(vertex.count("uploadVersion")).toBe(1);
  });

  it("adds later commits as new versions of the same parent model", async () => {
    const steps = await setup();
    await registerBothCommits(steps);
    const { vertex } = steps;

    const resource = "projects/local-project/locations/us-central1/models/fraud-detector";
    expect(vertex.versions(resource).map((v) => [v.versionId, v.labels[Label.commit], v.aliases])).toEqual([
      ["1", commit, ["default", "commit-3f2c1a9e8b7d"]],
      ["2", otherCommit, ["commit-0a1b2c3d4e5f"]],
    ]);
    const second = vertex.calls.filter((c) => c.method === "uploadVersion")[1];
    expect(second?.args[0]).toMatchObject({ parentModel: resource });
  });

  it("writes the registration and the version index for CI", async () => {
    const steps = await setup();
    await registerBothCommits(steps);
    const { runtime } = steps;

    const record = await runtime.blobs.read(registrationPath("fraud-detector", commit));
    expect(JSON.parse(String(record?.data))).toMatchObject({
      model: "fraud-detector",
      commit,
      repository: "acme/fraud-detector",
      modelResource: "projects/local-project/locations/us-central1/models/fraud-detector",
      versionId: "1",
      aliases: ["default", "commit-3f2c1a9e8b7d"],
      artifactUri: `gs://modelgate-artifacts/models/fraud-detector/${commit}/model/`,
      metrics: { accuracy: 0.93, auc: 0.97 },
    });
    const { index } = await readRegistryIndex(runtime.blobs, "fraud-detector");
    expect(index.versions.map((v) => [v.versionId, v.commit])).toEqual([
      ["1", commit],
      ["2", otherCommit],
    ]);
  });

  it("registers once however often the message arrives, as redelivery or as a new message", async () => {
    const { runtime, vertex, deliver, writeManifest } = await setup();
    await writeManifest(commit, manifest());
    await deliver(artifactReady());
    await deliver(artifactReady(), "m-1", 2);
    await deliver(artifactReady(), "m-2");
    expect(vertex.count("uploadVersion")).toBe(1);
    expect(runtime.publisher.on(Topic.deploymentRequested)).toHaveLength(1);
  });

  it("reuses the version an earlier attempt uploaded when that attempt died before finishing", async () => {
    const { runtime, vertex, deliver, writeManifest } = await setup();
    await writeManifest(commit, manifest());
    vertex.crashAfter("uploadVersion");
    await expect(deliver(artifactReady())).rejects.toBeInstanceOf(TransientError);
    expect(await runtime.blobs.read(registrationPath("fraud-detector", commit))).toBeNull();

    await deliver(artifactReady(), "m-1", 2);
    const resource = "projects/local-project/locations/us-central1/models/fraud-detector";
    expect(vertex.versions(resource)).toHaveLength(1);
    expect(vertex.count("uploadVersion")).toBe(1);
    expect((await ledgerEntries(runtime)).some((e) => e.action === "model-version-reused")).toBe(true);
    expect(await runtime.blobs.read(registrationPath("fraud-detector", commit))).not.toBeNull();
  });

  it("requests a deployment when the model's policy auto-deploys", async () => {
    const { runtime, deliver, writeManifest } = await setup({ autoDeploy: true });
    await writeManifest(commit, manifest());
    await deliver(artifactReady());
    expect(runtime.publisher.on(Topic.deploymentRequested)).toEqual([
      expect.objectContaining({
        correlationId: "corr-3f2c1a",
        commit,
        reason: "auto-deploy",
        causedBy: [{ source: "pubsub:artifact-ready", id: "m-1" }],
      }),
    ]);
  });

  it("requests nothing when deployment waits for a promotion tag", async () => {
    const { runtime, deliver, writeManifest } = await setup({ autoDeploy: false });
    await writeManifest(commit, manifest());
    await deliver(artifactReady());
    expect(runtime.publisher.on(Topic.deploymentRequested)).toEqual([]);
    // Only the training commit status, for notifyGithub.
    expect(runtime.publisher.on(Topic.githubNotifications)).toEqual([
      expect.objectContaining({
        kind: "commit-status",
        context: "modelgate/training/fraud-detector",
        state: "success",
        description: expect.stringMatching(/^trained and registered as version \d+$/),
      }),
    ]);
  });

  it.each([
    {
      name: "the manifest is missing",
      body: undefined,
      message: artifactReady(),
      error: /modelgate\.json does not exist/,
    },
    {
      name: "the manifest is not JSON",
      body: "{ not json",
      message: artifactReady(),
      error: /not a valid manifest/,
    },
    {
      name: "the manifest breaks its schema",
      body: manifest(commit, { metrics: { accuracy: 1.5 } }),
      message: artifactReady(),
      error: /not a valid manifest/,
    },
    {
      name: "the manifest names another commit",
      body: manifest(otherCommit),
      message: artifactReady(),
      error: /commit is 0a1b2c3d.*, the event says 3f2c1a9e/,
    },
    {
      name: "the manifest names another repository",
      body: manifest(commit, { repository: "mallory/fraud-detector" }),
      message: artifactReady(),
      error: /repository is mallory\/fraud-detector/,
    },
    {
      name: "the event points outside the model's directory",
      body: manifest(),
      message: artifactReady(commit, { artifactUri: "gs://elsewhere/models/fraud-detector/x/" }),
      error: /is trained into gs:\/\/modelgate-artifacts/,
    },
  ])("records and acknowledges, without touching Vertex AI, when $name", async ({ body, message, error }) => {
    const { runtime, vertex, deliver, writeManifest } = await setup();
    if (body !== undefined) {
      if (typeof body === "string")
        await runtime.blobs.write(`models/fraud-detector/${commit}/modelgate.json`, body);
      else await writeManifest(commit, body);
    }
    await deliver(message);
    await deliver(message, "m-1", 2);
    expect(vertex.calls).toEqual([]);
    const failures = (await ledgerEntries(runtime)).filter((e) => e.action === "step-failed");
    expect(failures).toHaveLength(1);
    expect(failures[0]?.error).toMatchObject({
      code: "INVALID_ARTIFACT",
      message: expect.stringMatching(error),
    });
  });

  it("names each bad manifest field in the ledger", async () => {
    const { runtime, deliver, writeManifest } = await setup();
    await writeManifest(commit, manifest(commit, { metrics: { accuracy: 1.5 }, artifactDir: "../x/" }));
    await deliver(artifactReady());
    const [failed] = (await ledgerEntries(runtime)).filter((e) => e.action === "step-failed");
    expect(failed?.error?.details).toMatchObject({
      issues: expect.arrayContaining([
        expect.objectContaining({ path: "metrics.accuracy" }),
        expect.objectContaining({ path: "artifactDir" }),
      ]),
    });
  });

  it("retries UNAVAILABLE from the registry and records INVALID_ARGUMENT once", async () => {
    const { runtime, vertex, deliver, writeManifest } = await setup();
    await writeManifest(commit, manifest());
    vertex.failNext("uploadVersion", new TransientError("UploadModel failed: 14 UNAVAILABLE"));
    await expect(deliver(artifactReady())).rejects.toBeInstanceOf(TransientError);
    await deliver(artifactReady(), "m-1", 2);
    expect(vertex.count("uploadVersion")).toBe(2);

    await writeManifest(otherCommit, manifest(otherCommit));
    vertex.failNext(
      "uploadVersion",
      new UpstreamError("UploadModel failed: 3 INVALID_ARGUMENT: bad container"),
    );
    await deliver(artifactReady(otherCommit), "m-2");
    await deliver(artifactReady(otherCommit), "m-2", 2);
    expect(vertex.count("uploadVersion")).toBe(3);
    const failed = (await ledgerEntries(runtime, otherCommit)).filter((e) => e.outcome === "failed");
    expect(failed.map((e) => e.action).sort()).toEqual(["model-version-uploaded", "step-failed"]);
  });
});

describe("registry index", () => {
  it("loses no line when many registrations update it at once", async () => {
    const { runtime } = await setup();
    const commits = Array.from({ length: 12 }, (_, i) => i.toString(16).padStart(2, "0").repeat(20));
    const results = await Promise.all(
      commits.map((c, i) =>
        addToRegistryIndex(
          runtime.blobs,
          "fraud-detector",
          {
            commit: c,
            versionId: String(i + 1),
            modelResource: "m",
            registeredAt: "2026-01-01T00:00:00.000Z",
          },
          { pause: () => new Promise((resolve) => setImmediate(resolve)) },
        ),
      ),
    );
    const { index } = await readRegistryIndex(runtime.blobs, "fraud-detector");
    expect(index.versions.map((v) => v.commit)).toEqual(commits);
    // Several writers had to read again: the precondition did its job.
    expect(results.some((r) => r.attempts > 1)).toBe(true);
  });

  it("does not rewrite the index for a line it already holds", async () => {
    const { runtime } = await setup();
    const entry = { commit, versionId: "1", modelResource: "m", registeredAt: "2026-01-01T00:00:00.000Z" };
    expect(await addToRegistryIndex(runtime.blobs, "fraud-detector", entry)).toEqual({
      written: true,
      attempts: 1,
    });
    const before = await runtime.blobs.read(registryIndexPath("fraud-detector"));
    expect(await addToRegistryIndex(runtime.blobs, "fraud-detector", entry)).toEqual({
      written: false,
      attempts: 1,
    });
    expect((await runtime.blobs.read(registryIndexPath("fraud-detector")))?.generation).toBe(
      before?.generation,
    );
  });

  it("gives up with a retryable error when it never wins", async () => {
    const { runtime } = await setup();
    const blobs = runtime.blobs;
    const contested = {
      bucket: blobs.bucket,
      read: blobs.read.bind(blobs),
      readStream: blobs.readStream.bind(blobs),
      list: blobs.list.bind(blobs),
      delete: blobs.delete.bind(blobs),
      write: async () => ({ written: false as const }),
    };
    const entry = { commit, versionId: "1", modelResource: "m", registeredAt: "2026-01-01T00:00:00.000Z" };
    await expect(
      addToRegistryIndex(contested, "fraud-detector", entry, { maxAttempts: 3, pause: async () => {} }),
    ).rejects.toBeInstanceOf(TransientError);
  });
});
