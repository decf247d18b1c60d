import { describe, expect, it } from "vitest";
import { createTektonEventsHandler } from "../../functions/tekton-events/handler.js";
import { readTektonEventsSettings } from "../../functions/tekton-events/settings.js";
import { TransientError } from "../../shared/errors.js";
import { recordBranchPush } from "../../shared/ingress/branch-pushes.js";
import type { IngressRequest } from "../../shared/ingress/http.js";
import { manifestPath } from "../../shared/manifest.js";
import type { BlobStore } from "../../shared/ports.js";
import { Topic } from "../../shared/topology.js";
import { ingressTestDeps } from "../support/ingress-deps.js";
import { ownJson } from "../support/ingress-fixtures.js";
import { testManifest } from "../support/ingress-manifest.js";
import {
  binaryTektonEvent,
  sinkToken,
  structuredTektonEvent,
  type TektonEventOptions,
} from "../support/ingress-tekton.js";

const fullCommit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";

async function setup() {
  const deps = ingressTestDeps();
  const handler = createTektonEventsHandler({ ...deps, tokens: ["retired-token", sinkToken] });
  // The run's commit was pushed to fraud-detector's branch, as githubWebhook notes it.
  await recordBranchPush(deps.blobs, {
    model: "fraud-detector",
    commit: fullCommit,
    ref: "refs/heads/main",
    deliveryId: "d-main-push",
    recordedAt: "2024-06-11T09:00:00.000Z",
  });
  const writeManifest = async (
    fields: Partial<{ model: string; commit: string; repository: string }> = {},
    dir = "3f2c1a9",
  ) => {
    const manifest = testManifest({
      model: "fraud-detector",
      commit: fullCommit,
      repository: "acme/fraud-detector",
      ...fields,
    });
    return deps.blobs.write(manifestPath("fraud-detector", dir), JSON.stringify(manifest));
  };
  return { ...deps, handler, writeManifest };
}

const churnCommit = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

/** What githubWebhook writes when it sees `commit` pushed to churn's branch. */
async function noteBranchPush(blobs: BlobStore, commit: string): Promise<void> {
  await recordBranchPush(blobs, {
    model: "churn",
    commit,
    ref: "refs/heads/trunk",
    deliveryId: "d-churn-push",
    recordedAt: "2024-06-11T09:00:00.000Z",
  });
}

const successful = () => ownJson<Record<string, any>>("tekton/pipelinerun-successful.json");

function request(event: { headers: Record<string, string>; body: string }): IngressRequest {
  return { method: "POST", headers: event.headers, body: Buffer.from(event.body) };
}

const binary = (body: Record<string, any>, options?: TektonEventOptions) =>
  request(binaryTektonEvent(body, options));

describe("tektonEvents: successful runs", () => {
  it.each([
    ["binary", binaryTektonEvent],
    ["structured", structuredTektonEvent],
  ] as const)(
    "publishes artifact-ready for a %s-mode event after re-reading the manifest",
    async (_mode, encode) => {
      const { handler, publisher, ledger, writeManifest } = await setup();
      const written = await writeManifest();
      const response = await handler(request(encode(successful(), { id: "ev-1" })));
      expect(response.statusCode).toBe(202);
      expect(response.body).toEqual({
        status: "accepted",
        published: [
          { topic: Topic.artifactReady, model: "fraud-detector", commit: "3f2c1a9", messageId: "m-1" },
        ],
      });
      const source = "/apis/tekton.dev/v1beta1/namespaces/ml-ci/pipelineruns/fraud-detector-build-r4t8z";
      expect(publisher.on(Topic.artifactReady)).toEqual([
        {
          schemaVersion: 1,
          correlationId: "ev-1",
          model: "fraud-detector",
          commit: "3f2c1a9",
          repository: "acme/fraud-detector",
          causedBy: [{ source, id: "ev-1" }],
          createdAt: "2024-06-11T10:00:00.000Z",
          artifactUri: "gs://modelgate-artifacts/models/fraud-detector/3f2c1a9/",
          manifestGeneration: written.written ? written.generation : "",
        },
      ]);
      expect(await ledger.read("fraud-detector", "3f2c1a9")).toMatchObject([
        {
          step: "tektonEvents",
          action: Topic.artifactReady,
          outcome: "accepted",
          details: {
            eventId: "ev-1",
            eventSource: source,
            namespace: "ml-ci",
            run: "fraud-detector-build-r4t8z",
            pipeline: "fraud-detector-build",
          },
        },
      ]);
    },
  );

  it("publishes training-requested with the image for a standalone TaskRun mapped that way", async () => {
    const { handler, publisher, blobs } = await setup();
    await noteBranchPush(blobs, churnCommit);
    const response = await handler(
      binary(ownJson("tekton/taskrun-churn-successful.json"), { id: "ev-churn" }),
    );
    expect(response.statusCode).toBe(202);
    expect(publisher.on(Topic.trainingRequested)).toEqual([
      expect.objectContaining({
        model: "churn",
        commit: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        repository: "acme/churn",
        trigger: "tekton",
        requestedBy: "tekton:ml-ci/churn-image-x7v2q",
        image: expect.stringMatching(/churn-trainer@sha256:/),
      }),
    ]);
  });

  it("refuses and records an artifact of a commit githubWebhook never saw pushed to the model's branch", async () => {
    const { handler, publisher, ledger, writeManifest } = await setup();
    const other = "0123456789abcdef0123456789abcdef01234567";
    await writeManifest({ commit: other }, "0123456");
    const body = successful();
    body.pipelineRun.status.pipelineResults[1].value = other;
    body.pipelineRun.status.pipelineResults[2].value =
      "gs://modelgate-artifacts/models/fraud-detector/0123456/";
    const response = await handler(binary(body));
    expect(response).toMatchObject({
      statusCode: 422,
      body: {
        status: "refused",
        reason: `fraud-detector: commit ${other} was never pushed to acme/fraud-detector main as far as githubWebhook saw; runs of other commits are refused`,
      },
    });
    expect(publisher.published).toEqual([]);
    expect(await ledger.read("fraud-detector", other)).toMatchObject([{ action: "run-refused" }]);
  });

  describe("training requests: what runs as the trainer comes from the configuration", () => {
    const churnRun = (change: (run: Record<string, any>) => void = () => {}) => {
      const body = ownJson<Record<string, any>>("tekton/taskrun-churn-successful.json");
      change(body.taskRun);
      return body;
    };
    const withImage = (image: string) =>
      churnRun((run) => {
        run.status.taskResults[0].value = image;
      });
    const digest = `@sha256:${"4f".repeat(32)}`;

    it.each([
      [
        "an image from anywhere",
        withImage("docker.io/mallory/miner:latest"),
        /image "docker.io\/mallory\/miner:latest" is neither the configured training.container nor us-docker.pkg.dev\/local-project\/modelgate\/churn-trainer@sha256:<64 hex digits>/,
      ],
      [
        "the CI repository by tag, not digest",
        withImage("us-docker.pkg.dev/local-project/modelgate/churn-trainer:latest"),
        /is neither the configured training.container/,
      ],
      [
        "a repository that only starts like the CI one",
        withImage(`us-docker.pkg.dev/local-project/modelgate/churn-trainer-evil${digest}`),
        /is neither the configured training.container/,
      ],
      [
        "a commit githubWebhook never saw pushed to the branch",
        churnRun((run) => {
          run.spec.params[1].value = "9".repeat(40);
        }),
        /commit 9{40} was never pushed to acme\/churn its default branch as far as githubWebhook saw/,
      ],
      [
        "an abbreviated commit",
        churnRun((run) => {
          run.spec.params[1].value = churnCommit.slice(0, 12);
        }),
        /commit a1b2c3d4e5f6 is abbreviated/,
      ],
    ])("refuses and records a run asking to train %s", async (_name, body, reason) => {
      const { handler, publisher, blobs, ledger } = await setup();
      await noteBranchPush(blobs, churnCommit);
      const response = await handler(binary(body));
      expect(response).toMatchObject({
        statusCode: 422,
        body: { status: "refused", reason: expect.stringMatching(reason) },
      });
      expect(publisher.published).toEqual([]);
      expect(await ledger.read("churn")).toMatchObject([{ action: "run-refused", outcome: "refused" }]);
    });

    it("trains the configured container itself when the run names it", async () => {
      const { handler, publisher, blobs } = await setup();
      await noteBranchPush(blobs, churnCommit);
      const response = await handler(
        binary(withImage("us-docker.pkg.dev/local-project/modelgate/churn-trainer:1")),
      );
      expect(response.statusCode).toBe(202);
      expect(publisher.on(Topic.trainingRequested)).toMatchObject([
        { image: "us-docker.pkg.dev/local-project/modelgate/churn-trainer:1" },
      ]);
    });
  });

  it.each([
    [
      "a manifest that is missing",
      async (_s: Awaited<ReturnType<typeof setup>>) => {},
      /no modelgate.json at gs:\/\/modelgate-artifacts\/models\/fraud-detector\/3f2c1a9\/modelgate.json/,
    ],
    [
      "a manifest for another commit",
      (s: Awaited<ReturnType<typeof setup>>) =>
        s.writeManifest({ commit: "3f2c1a9000000000000000000000000000000000" }),
      /names commit 3f2c1a9000000000000000000000000000000000/,
    ],
    [
      "a manifest for another repository",
      (s: Awaited<ReturnType<typeof setup>>) => s.writeManifest({ repository: "evil/fork" }),
      /repository evil\/fork/,
    ],
    [
      "a manifest that is not JSON",
      (s: Awaited<ReturnType<typeof setup>>) =>
        s.blobs.write(manifestPath("fraud-detector", "3f2c1a9"), "{oops"),
      /not a valid manifest/,
    ],
  ])("refuses and records a run whose artifact has %s", async (_name, arrange, reason) => {
    const s = await setup();
    await arrange(s);
    const response = await s.handler(binary(successful()));
    expect(response.statusCode).toBe(422);
    expect(response.body.reason).toMatch(reason);
    expect(s.publisher.published).toEqual([]);
    expect(await s.ledger.read("fraud-detector")).toMatchObject([
      { action: "run-refused", outcome: "refused" },
    ]);
    expect(s.warnings().map((w) => w.reason)).toEqual([expect.stringMatching(reason)]);
  });

  it.each([
    [
      "outside the artifact bucket",
      "gs://someone-else/models/fraud-detector/3f2c1a9/",
      /outside the artifact bucket/,
    ],
    [
      "not under models/<model>/<commit>/",
      "gs://modelgate-artifacts/datasets/fraud-detector/",
      /not a models\/<model>\/<commit>\/ directory/,
    ],
    [
      "under another model",
      "gs://modelgate-artifacts/models/churn/3f2c1a9/",
      /not under models\/fraud-detector\//,
    ],
    [
      "for another commit",
      "gs://modelgate-artifacts/models/fraud-detector/abcdef1/",
      /not for commit 3f2c1a9e/,
    ],
    ["escaping with ..", "gs://modelgate-artifacts/models/fraud-detector/../churn/3f2c1a9/", /not a models/],
  ])("refuses an artifact URI %s without reading the bucket", async (_name, uri, reason) => {
    const { handler, publisher, writeManifest } = await setup();
    await writeManifest();
    const body = successful();
    body.pipelineRun.status.pipelineResults[2].value = uri;
    const response = await handler(binary(body));
    expect(response).toMatchObject({
      statusCode: 422,
      body: { status: "refused", reason: expect.stringMatching(reason) },
    });
    expect(publisher.published).toEqual([]);
  });

  it("refuses a run that names a model its pipeline is not configured for", async () => {
    const { handler, publisher } = await setup();
    const body = successful();
    body.pipelineRun.status.pipelineResults[0].value = "churn";
    const response = await handler(binary(body));
    expect(response.statusCode).toBe(422);
    expect(response.body.reason).toBe(
      'the run names model "churn", which is not configured for pipeline fraud-detector-build',
    );
    expect(publisher.published).toEqual([]);
  });

  it("ignores a run of a pipeline no model uses, and a TaskRun that belongs to a PipelineRun", async () => {
    const { handler, publisher } = await setup();
    const other = successful();
    other.pipelineRun.metadata.labels["tekton.dev/pipeline"] = "docs-build";
    expect((await handler(binary(other))).body).toEqual({
      status: "ignored",
      reason: "pipeline docs-build is not configured for any model",
    });
    const member = ownJson<Record<string, any>>("tekton/taskrun-churn-successful.json");
    member.taskRun.metadata.labels["tekton.dev/pipelineRun"] = "churn-pipeline-abcde";
    expect((await handler(binary(member))).body).toEqual({
      status: "ignored",
      reason: "TaskRun churn-image-x7v2q belongs to PipelineRun churn-pipeline-abcde, whose own event counts",
    });
    expect(publisher.published).toEqual([]);
  });

  it("deduplicates on source and id, not id alone", async () => {
    const { handler, publisher, writeManifest } = await setup();
    await writeManifest();
    const first = await handler(binary(successful(), { id: "same-id" }));
    expect(first.statusCode).toBe(202);
    const repeat = await handler(binary(successful(), { id: "same-id" }));
    expect(repeat.body.status).toBe("duplicate");
    expect(publisher.published).toHaveLength(1);
    // The same id from another run is another event.
    const otherRun = successful();
    otherRun.pipelineRun.metadata.name = "fraud-detector-build-zzzzz";
    expect((await handler(binary(otherRun, { id: "same-id" }))).statusCode).toBe(202);
    expect(publisher.published).toHaveLength(2);
  });

  it("answers 503 and keeps the event retryable when the bucket cannot be read", async () => {
    const { handler, blobs, publisher, writeManifest } = await setup();
    await writeManifest();
    const read = blobs.read.bind(blobs);
    blobs.read = async () => {
      throw new TransientError("storage unavailable");
    };
    const event = binary(successful(), { id: "ev-retry" });
    expect((await handler(event)).statusCode).toBe(503);
    blobs.read = read;
    expect((await handler(event)).statusCode).toBe(202);
    expect(publisher.published).toHaveLength(1);
  });
});

describe("tektonEvents: other states", () => {
  it("records a failed run in the ledger and publishes nothing", async () => {
    const { handler, publisher, ledger } = await setup();
    const body = ownJson<Record<string, any>>("tekton/pipelinerun-failed.json");
    const response = await handler(
      binary(body, { type: "dev.tekton.event.pipelinerun.failed.v1", id: "ev-failed" }),
    );
    expect(response).toEqual({
      statusCode: 200,
      body: {
        status: "recorded",
        reason: "pipelineRun fraud-detector-build-k2p9m failed (Failed); recorded for fraud-detector",
      },
    });
    expect(publisher.published).toEqual([]);
    expect(await ledger.read("fraud-detector", "9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b")).toMatchObject([
      {
        step: "tektonEvents",
        action: "run-failed",
        outcome: "failed",
        correlationId: "ev-failed",
        details: { conditionReason: "Failed", conditionMessage: expect.stringMatching(/Failed: 1/) },
      },
    ]);
  });

  it.each(["started", "running", "unknown"])("acknowledges and ignores a %s event", async (state) => {
    const { handler, publisher, blobs } = await setup();
    const response = await handler(
      binary(successful(), { type: `dev.tekton.event.pipelinerun.${state}.v1` }),
    );
    expect(response).toEqual({
      statusCode: 200,
      body: {
        status: "ignored",
        reason: `pipelineRun fraud-detector-build-r4t8z is ${state}; modelgate acts when it succeeds or fails`,
      },
    });
    expect(publisher.published).toEqual([]);
    // Nothing written: no claim, no ledger record (only the push githubWebhook noted is there).
    expect([...blobs.objects.keys()]).toEqual([`pushes/fraud-detector/${fullCommit}.json`]);
  });

  it("ignores CloudEvent types that are not Tekton run events", async () => {
    const { handler } = await setup();
    const response = await handler(
      binary(successful(), { type: "dev.tekton.event.customrun.successful.v1" }),
    );
    expect(response.body.status).toBe("ignored");
  });
});

describe("tektonEvents refuses strangers and bad input", () => {
  const withSource = (source: string) => binary(successful(), { source });
  const withoutHeader = (name: string): IngressRequest => {
    const { [name]: _, ...headers } = binary(successful()).headers;
    return { method: "POST", headers, body: Buffer.from(JSON.stringify(successful())) };
  };
  type Case = [name: string, make: () => IngressRequest, status: number, reason: RegExp];
  const cases: Case[] = [
    ["a GET", () => ({ ...binary(successful()), method: "GET" }), 405, /GET is not allowed/],
    ["no token", () => binary(successful(), { token: null }), 401, /missing the X-Modelgate-Token header/],
    [
      "a wrong token",
      () => binary(successful(), { token: "guess" }),
      401,
      /does not match any configured token/,
    ],
    [
      "a text body",
      () => {
        const event = binary(successful());
        return { ...event, headers: { ...event.headers, "content-type": "text/plain" } };
      },
      415,
      /text\/plain is neither/,
    ],
    ["an empty body", () => ({ ...binary(successful()), body: Buffer.alloc(0) }), 400, /no body/],
    [
      "truncated JSON",
      () => {
        const event = binary(successful());
        return { ...event, body: event.body.subarray(0, 100) };
      },
      400,
      /not valid JSON/,
    ],
    ["a binary event without ce-id", () => withoutHeader("ce-id"), 400, /not a CloudEvent/],
    ["a binary event without ce-source", () => withoutHeader("ce-source"), 400, /invalid CloudEvent/],
    [
      "a structured event without an id",
      () => {
        const event = request(structuredTektonEvent(successful()));
        const { id: _, ...rest } = JSON.parse(event.body.toString());
        return { ...event, body: Buffer.from(JSON.stringify(rest)) };
      },
      400,
      /structured CloudEvent has no id/,
    ],
    ["a source that is not a Tekton run", () => withSource("//evil.example/run"), 403, /not a Tekton run/],
    [
      "a namespace that is not allowed",
      () => {
        const body = successful();
        body.pipelineRun.metadata.namespace = "default";
        return binary(body);
      },
      403,
      /namespace default is not allowed/,
    ],
    [
      "a source namespace that differs from the run's",
      () => withSource("/apis/tekton.dev/v1beta1/namespaces/default/pipelineruns/fraud-detector-build-r4t8z"),
      403,
      /namespace ml-ci differs from the event source's default/,
    ],
    [
      "a source that names another run",
      () => withSource("/apis/tekton.dev/v1beta1/namespaces/ml-ci/pipelineruns/someone-else"),
      400,
      /does not name the pipelineRun/,
    ],
    [
      "a pipelinerun type carrying a taskRun",
      () =>
        binary(ownJson("tekton/taskrun-churn-successful.json"), {
          type: "dev.tekton.event.pipelinerun.successful.v1",
        }),
      400,
      /not \{"pipelineRun": …\}/,
    ],
  ];

  it.each(cases)("refuses %s", async (_name, make, status, reason) => {
    const { handler, publisher, warnings } = await setup();
    const response = await handler(make());
    expect(response.statusCode).toBe(status);
    expect(response.body).toMatchObject({ status: "refused", reason: expect.stringMatching(reason) });
    expect(publisher.published).toEqual([]);
    expect(warnings()).toMatchObject([{ severity: "WARNING", statusCode: status }]);
    expect(JSON.stringify(warnings())).not.toContain(sinkToken);
  });

  it("accepts either of the rotated tokens and reads them from TEKTON_SINK_TOKEN", async () => {
    const { handler } = await setup();
    const response = await handler(
      binary(successful(), { token: "retired-token", type: "dev.tekton.event.pipelinerun.started.v1" }),
    );
    expect(response.statusCode).toBe(200);
    const [a, b] = ["a".repeat(32), "b".repeat(32)];
    expect(readTektonEventsSettings({ TEKTON_SINK_TOKEN: `${a}\n${b}` }).tokens).toEqual([a, b]);
    expect(() => readTektonEventsSettings({})).toThrow(/TEKTON_SINK_TOKEN is not set/);
    // Regression (issue #14, item 8): a short token, or two joined by a comma, were accepted.
    expect(() => readTektonEventsSettings({ TEKTON_SINK_TOKEN: "a,b" })).toThrow(
      /TEKTON_SINK_TOKEN: the secret is 3 characters; it must be at least 32/,
    );
  });
});
