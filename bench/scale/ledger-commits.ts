// The ledger of one model at growing numbers of commits: `modelgate lineage MODEL --commit SHA`,
// `modelgate lineage MODEL` (one page, latest first) and `modelgate status` through the CLI against the local
// servers. Records are written straight through the Cloud Storage client, under the names BucketLedger gives them,
// not through the chain, so 10,000 commits seed in seconds.
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { runCli } from "../../cli/main.js";
import { MODEL_NAME } from "../../examples/fraud-detector/seed-data.js";
import { endpointName } from "../../shared/config.js";
import { BucketLedger } from "../../shared/ledger.js";
import { addToRegistryIndex } from "../../shared/registry-index.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import type { TestServers } from "../../test/support/local-servers.js";
import { load1, median } from "./machine.js";
import type { VertexFixture } from "./vertex-fixture.js";

/** The records one commit leaves when its chain runs through (read-only records left out). */
const trail = [
  ["githubWebhook", "webhook-accepted", {}],
  ["launchTraining", "custom-job-created", { jobName: "projects/p/locations/l/customJobs/1" }],
  ["verifyDeployment", "verification-completed", { verdict: "pass" }],
  ["rolloutModel", "rollout-completed", {}],
] as const;

export interface LedgerRow {
  commits: number;
  records: number;
  seedMs: number;
  lineageCommitMs: number;
  lineagePageMs: number;
  statusMs: number;
  readAllMs: number | undefined;
  load: string;
}

const shaOf = (i: number) => `${i.toString(16).padStart(8, "0")}${"a".repeat(32)}`;

export async function benchLedger(
  servers: TestServers,
  vertex: VertexFixture,
  sizes: number[],
  options: { runs: number; readAllUpTo: number; trainedCommit: string },
): Promise<LedgerRow[]> {
  const runtime = servers.runtime();
  const { config } = runtime;
  const bucket = vertex.storage.bucket(config.bucket);
  const start = Date.parse("2024-01-01T00:00:00Z");

  const seed = async (from: number, to: number) => {
    const names: Array<[string, string]> = [];
    for (let i = from; i < to; i++) {
      const commit = shaOf(i);
      trail.forEach(([step, action, details], k) => {
        const at = new Date(start + i * 60_000 + k * 1000).toISOString();
        const id = `ledger/${MODEL_NAME}/${commit}/${at.replace(/[:.]/g, "")}-${step}-${randomBytes(6).toString("hex")}.json`;
        const entry = {
          model: MODEL_NAME,
          commit,
          step,
          action,
          outcome: "succeeded",
          correlationId: `corr-${i}`,
          causedBy: [{ source: "bench", id: `${i}` }],
          details,
          at,
          id,
        };
        names.push([id, JSON.stringify(entry)]);
      });
    }
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const [name, body] = names[next++] as [string, string];
        await bucket.file(name).save(body, { resumable: false, contentType: "application/json" });
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
  };

  // status reads the serving commit's verdict: the endpoint serves one version, registered for commit 0.
  await vertex.train(shaOf(0), options.trainedCommit);
  const version = await vertex.upload(shaOf(0));
  await vertex.deploy(endpointName(config, MODEL_NAME), version, deployedModelId(MODEL_NAME, shaOf(0)), {
    "0": 100,
  });
  await addToRegistryIndex(runtime.blobs, MODEL_NAME, {
    commit: shaOf(0),
    versionId: version.versionId,
    modelResource: version.model,
    registeredAt: new Date(start).toISOString(),
  });

  const env = { ...servers.env, MODELGATE_CONFIG: resolve("modelgate.config.yaml") };
  const cli = async (args: string[]): Promise<number> => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (t: string) => err.push(t), env };
    const started = performance.now();
    const code = await runCli(args, io);
    const took = performance.now() - started;
    if (code !== 0) throw new Error(`modelgate ${args.join(" ")} exited ${code}: ${err.join("")}`);
    return took;
  };
  const timed = async (args: string[]) => {
    const times: number[] = [];
    for (let r = 0; r < options.runs; r++) times.push(await cli(args));
    return median(times);
  };

  const rows: LedgerRow[] = [];
  let seeded = 0;
  for (const size of sizes) {
    const seedStarted = performance.now();
    await seed(seeded, size);
    const seedMs = performance.now() - seedStarted;
    seeded = Math.max(seeded, size);
    const middle = shaOf(Math.floor(size / 2));
    const lineageCommitMs = await timed(["lineage", MODEL_NAME, "--commit", middle]);
    const lineagePageMs = await timed(["lineage", MODEL_NAME]);
    const statusMs = await timed(["status", MODEL_NAME]);
    let readAllMs: number | undefined;
    if (size <= options.readAllUpTo) {
      const started = performance.now();
      const all = await new BucketLedger(runtime.blobs).read(MODEL_NAME);
      readAllMs = performance.now() - started;
      if (all.length !== size * trail.length)
        throw new Error(`read ${all.length} records, seeded ${size * trail.length}`);
    }
    rows.push({
      commits: size,
      records: size * trail.length,
      seedMs,
      lineageCommitMs,
      lineagePageMs,
      statusMs,
      readAllMs,
      load: load1(),
    });
  }
  return rows;
}
