// One verification (or raw Predict) run in a process of its own, so its peak RSS is its own. Bundled like a
// function (bench/build.ts) and started by bench/run/verification.ts with a JSON job in argv[2]; prints one JSON line.
//
// Paths:
//   grpc      Predict through modelgate's VertexPredictor (PredictionServiceClient, gRPC) against the local
//             Vertex AI server: the path verifyDeployment takes in production.
//   inprocess the example model's predictor loaded in this process from its artifacts in local Cloud Storage;
//             everything else (golden set streamed from the local Cloud Storage server, batching, scoring,
//             drift, report, publish) is the real code. For sizes where gRPC would take minutes.
import { readFileSync } from "node:fs";
import type { PredictionServiceClient } from "@google-cloud/aiplatform/build/src/v1/prediction_service_client.js";
import { loadPredictor } from "../examples/fraud-detector/predictor.js";
import { verifyDeployment } from "../functions/verify-deployment/verify-deployment.js";
import type { DeploymentReady } from "../shared/contracts.js";
import { commonJsExports } from "../shared/lazy-load.js";
import { createRuntime } from "../shared/runtime.js";
import { vertexClientOptions } from "../shared/vertex/client-options.js";
import { type ServingPredictor, VertexPredictor } from "../shared/vertex/prediction-adapter.js";
import { type ProtobufValue, toProtobufValue } from "../shared/vertex/protobuf-value.js";
import { fixedWorkDeps } from "../test/support/verify-fixtures.js";

export interface WorkerJob {
  mode: "verify" | "raw";
  path: "grpc" | "inprocess";
  message: DeploymentReady;
  goldenSet: string;
  /** gs:// artifact directory of the candidate (the in-process path loads its predictor from there). */
  artifactUri: string;
  batchSize: number;
  concurrency: number;
  /** verify mode: a golden set to verify once before the measured run (a warm instance). */
  warmUp?: string;
  /** raw mode: how many instances to send. */
  instances?: number;
  /**
   * raw mode: instances sent, at the same batch size and concurrency, before the measured window: the same
   * amount of warm-up (connection, JIT) as verify mode's warm-up verification. Default: one batch.
   */
  warmUpInstances?: number;
  /** raw mode: the instances to send, repeated. */
  sample?: unknown[];
}

export interface WorkerResult {
  ms: number;
  instances: number;
  perSecond: number;
  peakRssBytes: number;
  verdict?: string;
  requests?: number;
}

const job = JSON.parse(process.argv[2] ?? "{}") as WorkerJob;
const runtime = createRuntime(process.env);
const location = {
  endpoint: runtime.settings.vertexEndpoint,
  region: runtime.config.region,
  parent: `projects/${runtime.config.project}/locations/${runtime.config.region}`,
};

async function inProcessPredictor(): Promise<ServingPredictor> {
  const match = /^gs:\/\/[^/]+\/(.*)$/.exec(job.artifactUri);
  const prefix = match?.[1] ?? "";
  const predictor = await loadPredictor(async (path) => {
    const object = await runtime.blobs.read(`${prefix}${path}`);
    if (!object) throw new Error(`artifact ${prefix}${path} not found`);
    return object.data;
  });
  return {
    predict: async (_endpoint, instances) => ({
      deployedModelId: job.message.deployedModelId,
      predictions: (await predictor.predict(instances)) as unknown[],
    }),
  };
}

async function rawPredict(): Promise<WorkerResult> {
  const total = job.instances ?? 10_000;
  const sample = job.sample ?? [];
  const batch = sample.slice(0, job.batchSize);
  let send: () => Promise<unknown>;
  if (job.path === "grpc") {
    // The endpoint's own rate: the client sends pre-encoded Values, so the figure is the server's, not ours.
    const { PredictionServiceClient: Client } = commonJsExports(
      await import("@google-cloud/aiplatform/build/src/v1/prediction_service_client.js"),
    );
    const options = await vertexClientOptions(runtime.settings.vertexEndpoint, runtime.config.region);
    const client: PredictionServiceClient = new Client(options as ConstructorParameters<typeof Client>[0]);
    const instances: ProtobufValue[] = batch.map(toProtobufValue);
    send = () => client.predict({ endpoint: job.message.endpoint, instances } as never);
  } else {
    const predictor = await inProcessPredictor();
    send = () => predictor.predict(job.message.endpoint, batch);
  }
  const sendBatches = async (batches: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: job.concurrency }, async () => {
        while (next < batches) {
          next++;
          await send();
        }
      }),
    );
  };
  // Connect and warm up outside the measured window, as verify mode's warm-up verification does.
  await sendBatches(Math.max(1, Math.ceil((job.warmUpInstances ?? 0) / batch.length)));
  const batches = Math.ceil(total / batch.length);
  const started = performance.now();
  await sendBatches(batches);
  const ms = performance.now() - started;
  const instances = batches * batch.length;
  return { ms, instances, perSecond: (instances / ms) * 1000, peakRssBytes: peakRss() };
}

async function verify(): Promise<WorkerResult> {
  const model = runtime.config.models[job.message.model];
  if (!model) throw new Error(`model ${job.message.model} is not configured`);
  const predictor = job.path === "grpc" ? new VertexPredictor(location) : await inProcessPredictor();
  const settings = {
    ...model.verification,
    batchSize: job.batchSize,
    concurrency: job.concurrency,
  };
  const ports = fixedWorkDeps(
    { blobs: runtime.blobs, publisher: runtime.publisher, predictor },
    { source: "bench", id: "bench" },
  );
  // A warm instance: one verification of the small seeded golden set first (clients connected, code compiled),
  // so the figure is the throughput of verification, not the cold start measured elsewhere.
  if (job.warmUp) await verifyDeployment(job.message, { ...settings, goldenSet: job.warmUp }, ports);
  const started = performance.now();
  const outcome = await verifyDeployment(job.message, { ...settings, goldenSet: job.goldenSet }, ports);
  const ms = performance.now() - started;
  const instances = outcome.metrics.goldenLines ?? 0;
  return {
    ms,
    instances,
    perSecond: (instances / ms) * 1000,
    peakRssBytes: peakRss(),
    verdict: outcome.verdict,
    requests: outcome.metrics.requests ?? 0,
  };
}

function peakRss(): number {
  // VmHWM: this process image's resident high-water mark, kept by the kernel (no polling gaps). Not ru_maxrss,
  // which Linux carries over from the parent across fork and exec.
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return match?.[1] ? Number(match[1]) * 1024 : 0;
}

try {
  const result = job.mode === "raw" ? await rawPredict() : await verify();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
