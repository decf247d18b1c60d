// `npm run bench`: cold start, memory and bundle size per function, verification throughput and memory, drift
// time, and githubWebhook throughput, each measured next to its reference in one run on this machine. Prints a
// table and writes bench/results/latest.json (ignored by git). Not part of `npm test`: timings are
// machine-dependent and belong here. BENCH_QUICK=1 runs every section once at tiny sizes (bench/run/context.ts).
// The sections live in bench/run/, one file each.
import { join } from "node:path";
import { buildBenchBundles } from "./build.js";
import { coldStarts, summarize } from "./run/cold-start.js";
import { driftScores, log, root, shortCount } from "./run/context.js";
import { driftOverScores } from "./run/drift.js";
import type { Figures } from "./run/figures.js";
import { renderReport } from "./run/report.js";
import { writeResults } from "./run/results.js";
import { setUp } from "./run/setup.js";
import { targetsOf } from "./run/targets.js";
import { verification } from "./run/verification.js";
import { webhookThroughput } from "./run/webhook.js";

const summarizeAll = (runs: Record<string, Parameters<typeof summarize>[0]>) =>
  Object.fromEntries(Object.entries(runs).map(([name, results]) => [name, summarize(results)]));

async function main() {
  const began = Date.now();
  log("building bundles…");
  const bundles = await buildBenchBundles(join(root, "dist", "bench"));
  const vertexInIngress = (["githubWebhook", "tektonEvents", "artifactUploaded"] as const).filter((name) =>
    bundles.functions[name].imports.some((input) => input.includes("@google-cloud/aiplatform")),
  );
  log("starting local servers, training and deploying the candidate…");
  const setup = await setUp();
  try {
    const cold = await coldStarts(setup, bundles);
    const verify = await verification(setup, bundles);
    log(`drift over ${shortCount(driftScores)} scores`);
    const drift = driftOverScores(driftScores);
    const webhook = await webhookThroughput(setup, bundles);
    const figures: Figures = {
      bundles,
      vertexInIngress,
      cold: {
        bare: summarize(cold.bare),
        refusal: summarize(cold.refusal),
        ioFloor: summarize(cold.ioFloor),
        ingress: summarizeAll(cold.ingress),
        steps: summarizeAll(cold.steps),
        naive: summarizeAll(cold.naive),
        loads: cold.loads,
      },
      verify,
      drift,
      webhook,
    };
    const targets = targetsOf(figures);
    const text = renderReport(figures, targets, began);
    console.log(text);
    log(`wrote ${writeResults(figures, targets, text, began)}`);
  } finally {
    await setup.servers.close();
  }
}

await main();
process.exit(0);
