// Cold start: process start to the first successful response (HTTP functions) or to the step's first Vertex AI
// call answered by the local server (Vertex steps), for every function, its naive variant and the references.
import os from "node:os";
import { FunctionName } from "../../shared/topology.js";
import { type BenchBundles, naiveSteps, type VertexStep } from "../build.js";
import { log, median, runs } from "./context.js";
import { type HttpRequest, peakRssOf, post, startFunction } from "./processes.js";
import { finalizeEvent, githubPush, tektonEvent, unsignedPush } from "./requests.js";
import type { Setup } from "./setup.js";
import { type StepRequest, stepRequest } from "./step-requests.js";

interface ColdRun {
  ms: number;
  responseMs: number;
  status: number;
  peakRssBytes: number;
  firstCall?: string;
}

/** Process start to the first response (HTTP functions): a 2xx, or `expectStatus` (a refusal). */
async function coldHttp(
  source: string,
  target: string,
  env: Record<string, string>,
  request: () => HttpRequest,
  expectStatus?: number,
): Promise<ColdRun> {
  const { fn, t0 } = await startFunction(source, target, env);
  try {
    const response = await post(fn.port, request());
    const ms = Date.now() - t0;
    const expected = expectStatus === undefined ? response.status < 300 : response.status === expectStatus;
    if (!expected) throw new Error(`${target} answered ${response.status}: ${response.body}`);
    return { ms, responseMs: ms, status: response.status, peakRssBytes: peakRssOf(fn.child.pid) };
  } finally {
    await fn.kill();
  }
}

/** Process start to the step's first Vertex AI call answered by the local server (and to its HTTP response). */
async function coldStep(
  setup: Setup,
  source: string,
  target: string,
  request: () => HttpRequest,
): Promise<ColdRun> {
  const requestLog = setup.servers.vertex.requestLog;
  const seen = requestLog.length;
  const { fn, t0 } = await startFunction(source, target, setup.env(target));
  try {
    const response = await post(fn.port, request());
    const responseMs = Date.now() - t0;
    const first = requestLog.slice(seen).find((entry) => entry.at >= t0);
    if (!first)
      throw new Error(`${target} made no Vertex AI call (answered ${response.status}: ${response.body})`);
    return {
      ms: first.at - t0,
      responseMs,
      status: response.status,
      peakRssBytes: peakRssOf(fn.child.pid),
      firstCall: `${first.method}${first.code === 0 ? "" : ` (code ${first.code})`}`,
    };
  } finally {
    await fn.kill();
  }
}

export interface ColdSummary {
  medianMs: number;
  runsMs: number[];
  medianResponseMs: number;
  peakRssBytes: number;
  firstCall?: string;
}

export function summarize(results: ColdRun[]): ColdSummary {
  const firstCall = results[0]?.firstCall;
  return {
    medianMs: median(results.map((r) => r.ms)),
    runsMs: results.map((r) => r.ms),
    medianResponseMs: median(results.map((r) => r.responseMs)),
    peakRssBytes: median(results.map((r) => r.peakRssBytes)),
    ...(firstCall ? { firstCall } : {}),
  };
}

export interface ColdStarts {
  bare: ColdRun[];
  /** githubWebhook answering an unsigned delivery (401): the refusal path, which loads no client. */
  refusal: ColdRun[];
  ioFloor: ColdRun[];
  ingress: Record<string, ColdRun[]>;
  steps: Record<string, ColdRun[]>;
  naive: Record<string, ColdRun[]>;
  /** The 1-minute load average as each round began (the machine is shared). */
  loads: number[];
}

export async function coldStarts(setup: Setup, bundles: BenchBundles): Promise<ColdStarts> {
  const ingress = {
    [FunctionName.githubWebhook]: githubPush,
    [FunctionName.tektonEvents]: tektonEvent,
    [FunctionName.artifactUploaded]: () => finalizeEvent(setup.ingressManifestGeneration),
  } as const;
  const results: ColdStarts = {
    bare: [],
    refusal: [],
    ioFloor: [],
    ingress: {},
    steps: {},
    naive: {},
    loads: [],
  };
  const steps = Object.keys(naiveSteps) as VertexStep[];
  const requests = Object.fromEntries(steps.map((step) => [step, stepRequest(setup, step)])) as Record<
    VertexStep,
    StepRequest
  >;
  const empty = () => ({ headers: {}, body: "" });
  // Round-robin: every variant once per round, so load from other work on the machine spreads over all of them.
  for (let round = 0; round < runs; round++) {
    results.loads.push(os.loadavg()[0] ?? 0);
    log(`cold start round ${round + 1}/${runs} (load ${results.loads.at(-1)?.toFixed(2)})`);
    results.bare.push(await coldHttp(bundles.bare.dir, "bare", setup.env("bare"), empty));
    const github = FunctionName.githubWebhook;
    results.refusal.push(
      await coldHttp(bundles.functions[github].dir, github, setup.env(github), unsignedPush, 401),
    );
    results.ioFloor.push(
      await coldHttp(bundles.ioFloor.dir, "ioFloor", setup.env(FunctionName.githubWebhook), empty),
    );
    for (const [name, request] of Object.entries(ingress)) {
      const fn = name as keyof typeof ingress;
      const run = await coldHttp(bundles.functions[fn].dir, fn, setup.env(fn), request);
      results.ingress[fn] = [...(results.ingress[fn] ?? []), run];
    }
    for (const step of steps) {
      const { request, before, pending } = requests[step];
      for (const variant of ["steps", "naive"] as const) {
        before?.();
        await pending?.();
        const source = variant === "steps" ? bundles.functions[step].dir : bundles.naive[step].dir;
        const run = await coldStep(setup, source, step, request);
        results[variant][step] = [...(results[variant][step] ?? []), run];
      }
    }
  }
  return results;
}
