// Verification: throughput and peak memory of verifyDeployment at each golden-set size, next to the endpoint's
// raw Predict rate measured around it, each run in a worker process of its own (bench/verify-worker.ts).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { EXAMPLE_OBJECTS } from "../../examples/fraud-detector/seed-data.js";
import { instanceV8Flags } from "../../shared/function-runtime.js";
import { FunctionName } from "../../shared/topology.js";
import type { BenchBundles } from "../build.js";
import type { WorkerJob, WorkerResult } from "../verify-worker.js";
import { goldenSizes, log, model } from "./context.js";
import { pinning } from "./cpu-pinning.js";
import type { Setup } from "./setup.js";

/**
 * Both workers run with the V8 flags a verifyDeployment instance gets (shared/function-runtime.ts): the heap Node
 * derives from the instance's 512 MiB, then its NODE_OPTIONS. Without them the worker would size its heap from
 * this host's RAM (24 GB here: a 4 GiB limit, 16 MiB semi-spaces), and V8 lets the old generation grow to up to
 * 4× the live set before collecting it when the limit is that large, so peak RSS would measure this host rather
 * than verification (docs/performance.md, "Verification memory").
 */
const functionHeapFlags = instanceV8Flags(FunctionName.verifyDeployment);

export interface VerificationFigures {
  /** Raw Predict at the largest size. */
  raw: WorkerResult;
  rawBySize: Record<number, WorkerResult>;
  sizes: Record<number, WorkerResult>;
}

async function runWorker(script: string, job: WorkerJob, env: Record<string, string>): Promise<WorkerResult> {
  // BENCH_WORKER_CPU_PROF=<dir>: a V8 CPU profile of every worker run, for finding where verification spends.
  const profile = process.env.BENCH_WORKER_CPU_PROF;
  const args = [
    ...functionHeapFlags,
    ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []),
    script,
    JSON.stringify(job),
  ];
  const { command, args: argv } = pinning?.worker(args) ?? { command: process.execPath, args };
  const child = spawn(command, argv, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
  });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`verify worker failed (${code}): ${err.slice(0, 2000)}`);
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as WorkerResult;
}

export async function verification(setup: Setup, bundles: BenchBundles): Promise<VerificationFigures> {
  const env = setup.env(FunctionName.verifyDeployment);
  const base = {
    message: setup.ready,
    artifactUri: setup.artifactUri,
    batchSize: model.verification.batchSize,
    concurrency: model.verification.concurrency,
    sample: setup.sample,
  };
  // The endpoint's raw rate is measured at each size right before and right after verifying that size, with the
  // same warm-up (as many instances as the seeded golden set verify mode warms up with), and the two are pooled:
  // both figures share the machine's load of the moment (which drifts over minutes on a shared machine), and
  // neither window holds a connection set-up or cold code. A rate needs no more than 200k instances.
  const warmUpInstances = setup.sample.length;
  pinning?.servers();
  try {
    return await verificationRuns(setup, bundles, base, env, warmUpInstances);
  } finally {
    pinning?.release();
  }
}

async function verificationRuns(
  setup: Setup,
  bundles: BenchBundles,
  base: Omit<WorkerJob, "mode" | "path" | "goldenSet">,
  env: Record<string, string>,
  warmUpInstances: number,
): Promise<VerificationFigures> {
  const rawBySize: Record<number, WorkerResult> = {};
  const sizes: Record<number, WorkerResult> = {};
  const rawRun = (size: number) =>
    runWorker(
      bundles.verifyWorker,
      {
        ...base,
        mode: "raw",
        path: "grpc",
        goldenSet: "",
        instances: Math.min(size, 200_000),
        warmUpInstances,
      },
      env,
    );
  const verifyJob: Omit<WorkerJob, "goldenSet"> = {
    ...base,
    mode: "verify",
    path: "grpc",
    warmUp: EXAMPLE_OBJECTS.golden,
  };
  for (const size of goldenSizes) {
    log(`verification: the endpoint's raw Predict rate before ${size} rows`);
    const before = await rawRun(size);
    // A 10k or 100k verification lasts well under a few seconds, where one sample is at the mercy of the
    // machine's moment: those sizes are verified three times and the median run is kept.
    const repeats = size <= 100_000 ? 3 : 1;
    const runs: WorkerResult[] = [];
    for (let i = 0; i < repeats; i++) {
      log(`verification: ${size} rows${repeats > 1 ? ` (${i + 1}/${repeats})` : ""}`);
      runs.push(
        await runWorker(
          bundles.verifyWorker,
          { ...verifyJob, goldenSet: setup.goldenSets.get(size) ?? "" },
          env,
        ),
      );
    }
    sizes[size] = [...runs].sort((a, b) => a.perSecond - b.perSecond)[
      Math.floor(runs.length / 2)
    ] as WorkerResult;
    log(`verification: the endpoint's raw Predict rate after ${size} rows`);
    const after = await rawRun(size);
    const instances = before.instances + after.instances;
    const ms = before.ms + after.ms;
    rawBySize[size] = {
      ms,
      instances,
      perSecond: (instances / ms) * 1000,
      peakRssBytes: Math.max(before.peakRssBytes, after.peakRssBytes),
    };
  }
  const largest = goldenSizes[goldenSizes.length - 1] ?? 0;
  const raw = rawBySize[largest] as WorkerResult;
  return { raw, rawBySize, sizes };
}
