// The ledger of one model at growing numbers of commits: `modelgate lineage MODEL --commit SHA`,
// `modelgate lineage MODEL` (one page, latest first) and `modelgate status` through the CLI against the local
// servers. Records are written, under the names BucketLedger gives them, straight into the local Cloud Storage
// server's persistence directory with its own directory backend while the servers are down (not through the chain,
// nor one HTTP upload each), and the servers are started on that directory for each size.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCli } from "../../cli/main.js";
import { MODEL_NAME } from "../../examples/fraud-detector/seed-data.js";
import { directoryBackend } from "../../local/storage/directory-backend.js";
import { crc32cBase64, md5Base64 } from "../../local/storage/hashes.js";
import { endpointName, loadConfig } from "../../shared/config.js";
import { BucketLedger } from "../../shared/ledger.js";
import { addToRegistryIndex } from "../../shared/registry-index.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { startLocalServers, type TestServers } from "../../test/support/local-servers.js";
import { type VertexFixture, vertexFixture } from "../../test/support/vertex-fixture.js";
import { load1, median } from "./machine.js";

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
  sizes: number[],
  options: { runs: number; readAllUpTo: number },
): Promise<LedgerRow[]> {
  const stateDir = mkdtempSync(join(tmpdir(), "modelgate-scale-ledger-"));
  const config = loadConfig({});
  const start = Date.parse("2024-01-01T00:00:00Z");
  const servingCommit = shaOf(0);
  try {
    // First start: the bucket, the example data and the serving commit's trained model, all persisted.
    const first = await startLocalServers({ stateDir, log: () => undefined });
    const firstVertex = vertexFixture(first);
    await firstVertex.train(servingCommit);
    await firstVertex.close();
    await first.close();

    // local/servers.ts keeps Cloud Storage under <stateDir>/storage.
    const backend = directoryBackend(join(stateDir, "storage"), () => undefined);
    let generation = 1_700_000_000_000_000;
    const seed = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const commit = shaOf(i);
        trail.forEach(([step, action, details], k) => {
          const at = new Date(start + i * 60_000 + k * 1000).toISOString();
          const id = `ledger/${MODEL_NAME}/${commit}/${at.replace(/[:.]/g, "")}-${step}-${randomBytes(6).toString("hex")}.json`;
          const data = Buffer.from(
            JSON.stringify({
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
            }),
          );
          backend.saveObject(
            {
              bucket: config.bucket,
              name: id,
              generation: String(generation++),
              metageneration: "1",
              contentType: "application/json",
              size: data.length,
              md5Hash: md5Base64(data),
              crc32c: crc32cBase64(data),
              timeCreated: at,
              updated: at,
            },
            data,
            undefined,
          );
        });
      }
    };

    const rows: LedgerRow[] = [];
    let seeded = 0;
    for (const size of sizes) {
      const seedStarted = performance.now();
      seed(seeded, size);
      const seedMs = performance.now() - seedStarted;
      seeded = Math.max(seeded, size);
      const servers = await startLocalServers({ stateDir, log: () => undefined });
      const vertex = vertexFixture(servers);
      try {
        rows.push({ ...(await measure(servers, vertex, size)), seedMs });
      } finally {
        await vertex.close();
        await servers.close();
      }
    }
    return rows;
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }

  async function measure(
    servers: TestServers,
    vertex: VertexFixture,
    size: number,
  ): Promise<Omit<LedgerRow, "seedMs">> {
    const runtime = servers.runtime();
    // status reads the serving commit's verdict: the endpoint serves one version, registered for commit 0.
    const version = await vertex.upload(servingCommit);
    await vertex.deploy(
      endpointName(config, MODEL_NAME),
      version,
      deployedModelId(MODEL_NAME, servingCommit),
      {
        "0": 100,
      },
    );
    await addToRegistryIndex(runtime.blobs, MODEL_NAME, {
      commit: servingCommit,
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
    return {
      commits: size,
      records: size * trail.length,
      lineageCommitMs,
      lineagePageMs,
      statusMs,
      readAllMs,
      load: load1(),
    };
  }
}
