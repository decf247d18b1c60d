// The run's record: every figure (not only the medians) as JSON under bench/results/, which git ignores, so a
// run changes no tracked file. docs/performance.md says how the published figures are updated on purpose.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { quick, root, runs } from "./context.js";
import { pinning } from "./cpu-pinning.js";
import type { Figures, Target } from "./figures.js";

/** Where this run's record goes, relative to the repository root. */
export const resultsPath = join("bench", "results", quick ? "quick.json" : "latest.json");

export function writeResults(figures: Figures, targets: Target[], text: string, began: number): string {
  const { bundles, cold, verify, drift, webhook } = figures;
  const results = {
    createdAt: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      loadavg: os.loadavg(),
    },
    quick,
    runs,
    verificationCpus: pinning?.describe ?? "shared",
    coldStart: cold,
    bundleBytes: {
      functions: Object.fromEntries(Object.entries(bundles.functions).map(([k, v]) => [k, v.bundleBytes])),
      naive: Object.fromEntries(Object.entries(bundles.naive).map(([k, v]) => [k, v.bundleBytes])),
      bare: bundles.bare.bundleBytes,
      ioFloor: bundles.ioFloor.bundleBytes,
    },
    startBytes: Object.fromEntries(Object.entries(bundles.functions).map(([k, v]) => [k, v.startBytes])),
    verification: verify,
    drift,
    webhook,
    targets,
    table: text,
    totalSeconds: (Date.now() - began) / 1000,
  };
  const path = join(root, resultsPath);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return resultsPath;
}
