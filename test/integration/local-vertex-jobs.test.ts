import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { JobServiceClient } from "@google-cloud/aiplatform/build/src/v1/job_service_client.js";
import type { Storage } from "@google-cloud/storage";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStorageServer } from "../../local/storage/index.js";
import { type LocalVertexServer, localVertexClientOptions } from "../../local/vertex/index.js";
import { eventually } from "../support/eventually.js";
import { rejection } from "../support/rejection.js";
import { startVertexOverBucket, type VertexOverBucket } from "../support/vertex-over-bucket.js";

const BUCKET = "vertex-jobs-test";
const WRITER_IMAGE = "local/writer-trainer:1";
const FAILING_IMAGE = "local/failing-trainer:1";
const SLEEPER_IMAGE = "local/sleeper-trainer:1";

// Trainers are tiny Node scripts. The writer uses its own @google-cloud/storage client, which
// finds the local bucket through STORAGE_EMULATOR_HOST, as a real trainer finds Cloud Storage.
const writerScript = `
const { Storage } = require("@google-cloud/storage");
const [, bucket, prefix] = /^gs:\\/\\/([^/]+)\\/(.*)$/.exec(process.env.AIP_MODEL_DIR);
const picked = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => /^(AIP_|CLOUD_ML_|TRAINER_|FROM_REQUEST|STORAGE_EMULATOR_HOST)/.test(k)),
);
new Storage().bucket(bucket).file(prefix + "model.json")
  .save(JSON.stringify({ args: process.argv.slice(1), env: picked }))
  .catch((error) => { console.error(error); process.exit(1); });
`;
const failingScript = `console.error("loading data\\nValueError: column 'amount' is missing"); process.exit(3);`;
const sleeperScript = `require("node:fs").writeFileSync(process.env.PID_FILE, String(process.pid)); setInterval(() => {}, 1000);`;

let servers: VertexOverBucket;
let storageServer: LocalStorageServer;
let server: LocalVertexServer;
let jobs: JobServiceClient;
let storage: Storage;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), "local-vertex-jobs-"));
  servers = await startVertexOverBucket(BUCKET, {
    trainers: {
      [WRITER_IMAGE]: { command: ["node", "-e", writerScript, "--"], env: { TRAINER_FLAVOUR: "mapped" } },
      [FAILING_IMAGE]: { command: ["node", "-e", failingScript] },
      [SLEEPER_IMAGE]: { command: ["node", "-e", sleeperScript] },
    },
  });
  ({ storageServer, storage, server } = servers);
  jobs = new JobServiceClient(localVertexClientOptions(server.address));
});

afterAll(async () => {
  await jobs?.close();
  await servers?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function customJob(
  imageUri: string,
  extra: {
    displayName?: string;
    labels?: Record<string, string>;
    outputPrefix?: string;
    args?: string[];
    env?: Record<string, string>;
  } = {},
) {
  return {
    displayName: extra.displayName ?? "train-fraud-detector",
    labels: extra.labels ?? {},
    jobSpec: {
      workerPoolSpecs: [
        {
          machineSpec: { machineType: "n1-standard-4" },
          replicaCount: 1,
          containerSpec: {
            imageUri,
            args: extra.args ?? [],
            env: Object.entries(extra.env ?? {}).map(([name, value]) => ({ name, value })),
          },
        },
      ],
      ...(extra.outputPrefix ? { baseOutputDirectory: { outputUriPrefix: extra.outputPrefix } } : {}),
    },
  };
}

async function create(job: ReturnType<typeof customJob>) {
  const [created] = await jobs.createCustomJob({ parent: server.parent, customJob: job });
  return created;
}

async function waitForState(name: string, wanted: (state: string) => boolean) {
  let state = "unread";
  return eventually(
    `job ${name} to reach the wanted state`,
    async () => {
      const [job] = await jobs.getCustomJob({ name });
      state = String(job.state);
      return wanted(state) ? job : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 20, detail: () => `state ${state}` },
  );
}

const finished = (state: string) =>
  ["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"].includes(state);

describe("CustomJob", () => {
  it("runs the first worker pool's container as a local process with Vertex AI's environment", async () => {
    const created = await create(
      customJob(WRITER_IMAGE, {
        labels: { "modelgate-commit": "abc123" },
        outputPrefix: `gs://${BUCKET}/models/fraud-detector/abc123//`,
        args: ["--epochs", "3"],
        env: { FROM_REQUEST: "yes" },
      }),
    );
    expect(created.name).toMatch(new RegExp(`^${server.parent}/customJobs/\\d+$`));
    expect(created).toMatchObject({ state: "JOB_STATE_PENDING", labels: { "modelgate-commit": "abc123" } });
    expect(created.createTime).toBeTruthy();

    const done = await waitForState(created.name as string, finished);
    expect(done.state).toBe("JOB_STATE_SUCCEEDED");
    expect(done.startTime).toBeTruthy();
    expect(done.endTime).toBeTruthy();

    const [written] = await storage
      .bucket(BUCKET)
      .file("models/fraud-detector/abc123/model/model.json")
      .download();
    const { args, env } = JSON.parse(written.toString("utf8")) as {
      args: string[];
      env: Record<string, string>;
    };
    expect(args).toEqual(["--epochs", "3"]);
    expect(env).toEqual({
      AIP_MODEL_DIR: `gs://${BUCKET}/models/fraud-detector/abc123/model/`,
      AIP_CHECKPOINT_DIR: `gs://${BUCKET}/models/fraud-detector/abc123/checkpoints/`,
      AIP_TENSORBOARD_LOG_DIR: `gs://${BUCKET}/models/fraud-detector/abc123/logs/`,
      CLOUD_ML_JOB_ID: created.name?.split("/").pop(),
      CLOUD_ML_PROJECT_ID: "local-project",
      CLOUD_ML_REGION: "us-central1",
      STORAGE_EMULATOR_HOST: storageServer.url,
      TRAINER_FLAVOUR: "mapped",
      FROM_REQUEST: "yes",
    });
  });

  it("ends FAILED with the exit status and the tail of stderr when the process fails", async () => {
    const created = await create(customJob(FAILING_IMAGE));
    const done = await waitForState(created.name as string, finished);
    expect(done.state).toBe("JOB_STATE_FAILED");
    expect(done.error?.message).toContain("non-zero status of 3");
    expect(done.error?.message).toContain("ValueError: column 'amount' is missing");
  });

  it("ends FAILED naming the image when no trainer is registered for it", async () => {
    const created = await create(customJob("europe-docker.pkg.dev/p/r/unknown:1"));
    const done = await waitForState(created.name as string, finished);
    expect(done.state).toBe("JOB_STATE_FAILED");
    expect(done.error?.message).toContain("europe-docker.pkg.dev/p/r/unknown:1");
  });

  it("CancelCustomJob kills the process and the job ends CANCELLED", async () => {
    const pidFile = path.join(scratch, "sleeper.pid");
    const created = await create(customJob(SLEEPER_IMAGE, { env: { PID_FILE: pidFile } }));
    await waitForState(created.name as string, (state) => state === "JOB_STATE_RUNNING");
    // The file may exist before its contents are written: wait for a whole pid.
    const pid = await eventually(
      `a whole pid in ${pidFile}`,
      () => {
        const read = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0;
        return read > 0 ? read : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );

    await jobs.cancelCustomJob({ name: created.name as string });
    const done = await waitForState(created.name as string, finished);
    expect(done).toMatchObject({ state: "JOB_STATE_CANCELLED", error: { code: status.CANCELLED } });
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(jobs.cancelCustomJob({ name: created.name as string })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
  });

  it("faults.failJob fails the next matching job without running it", async () => {
    server.faults.failJob(
      { labels: { "modelgate-commit": "doomed" } },
      "Injected: quota exceeded for n1-standard-4.",
    );
    const untouched = await create(customJob(FAILING_IMAGE, { labels: { "modelgate-commit": "other" } }));
    const doomed = await create(
      customJob(WRITER_IMAGE, {
        labels: { "modelgate-commit": "doomed" },
        outputPrefix: `gs://${BUCKET}/models/doomed/`,
      }),
    );
    const failed = await waitForState(doomed.name as string, finished);
    expect(failed).toMatchObject({
      state: "JOB_STATE_FAILED",
      error: { message: "Injected: quota exceeded for n1-standard-4." },
    });
    const [exists] = await storage.bucket(BUCKET).file("models/doomed/model/model.json").exists();
    expect(exists).toBe(false);
    // The other job ran its own (failing) container, not the injected failure.
    const other = await waitForState(untouched.name as string, finished);
    expect(other.error?.message).toContain("non-zero status of 3");
  });

  it("ListCustomJobs filters on labels, state and display name", async () => {
    const a = await create(
      customJob(FAILING_IMAGE, { displayName: "listing-a", labels: { run: "list", n: "1" } }),
    );
    const b = await create(
      customJob(WRITER_IMAGE, {
        displayName: "listing-b",
        labels: { run: "list", n: "2" },
        outputPrefix: `gs://${BUCKET}/list/b`,
      }),
    );
    await waitForState(a.name as string, finished);
    await waitForState(b.name as string, finished);
    const names = async (filter: string) => {
      const [listed] = await jobs.listCustomJobs({ parent: server.parent, filter });
      return listed.map((job) => job.name);
    };
    expect(await names("labels.run=list")).toEqual([a.name, b.name]);
    expect(await names('labels.run="list" AND labels.n="2"')).toEqual([b.name]);
    expect(await names("labels.run=list AND state=JOB_STATE_FAILED")).toEqual([a.name]);
    expect(await names('display_name="listing-b"')).toEqual([b.name]);
    await expect(names("labels.run=list OR state=JOB_STATE_FAILED")).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it.each([
    ["no display name", (job: ReturnType<typeof customJob>) => ({ ...job, displayName: "" }), /display_name/],
    [
      "no worker pools",
      (job: ReturnType<typeof customJob>) => ({ ...job, jobSpec: { workerPoolSpecs: [] } }),
      /worker_pool_specs/,
    ],
    [
      "a pool without an image",
      (job: ReturnType<typeof customJob>) => ({
        ...job,
        jobSpec: { workerPoolSpecs: [{ machineSpec: { machineType: "n1-standard-4" }, containerSpec: {} }] },
      }),
      /image_uri/,
    ],
    [
      "a pool without a machine",
      (job: ReturnType<typeof customJob>) => ({
        ...job,
        jobSpec: { workerPoolSpecs: [{ containerSpec: { imageUri: WRITER_IMAGE } }] },
      }),
      /machine_type/,
    ],
    [
      "an output directory that is not gs://",
      (job: ReturnType<typeof customJob>) => ({
        ...job,
        jobSpec: { ...job.jobSpec, baseOutputDirectory: { outputUriPrefix: "/tmp/out" } },
      }),
      /gs:\/\//,
    ],
  ])("refuses a job with %s", async (_case, change, message) => {
    const error = await rejection(
      jobs.createCustomJob({ parent: server.parent, customJob: change(customJob(WRITER_IMAGE)) }),
    );
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((error as Error).message).toMatch(message);
  });

  it("answers NOT_FOUND for an unknown job", async () => {
    await expect(jobs.getCustomJob({ name: `${server.parent}/customJobs/42` })).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: `CustomJob \`${server.parent}/customJobs/42\` not found.`,
    });
  });
});
