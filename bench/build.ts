// Bundles for the benchmark: the real functions exactly as `npm run build` makes them, plus the naive Vertex
// steps and the bare function, bundled the same way (the naive ones without the per-client proto trimming).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import {
  buildFunction,
  bundleContents,
  functionBundleOptions,
  functionPlugins,
} from "../scripts/build-functions.js";
import { vertexProtosPlugin } from "../scripts/vertex-protos-plugin.js";
import { type FunctionName, functionNames } from "../shared/topology.js";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface Bundle {
  /** The directory to pass as the Functions Framework's --source. */
  dir: string;
  /** Every file of the bundle: the entry and its chunks. */
  bundleBytes: number;
  /** The entry and the chunks it imports statically: what a cold instance parses before its first request. */
  startBytes: number;
  /** Repository-relative inputs. */
  imports: string[];
}

export const naiveSteps = {
  launchTraining: "launch-training",
  registerModel: "register-model",
  deployModel: "deploy-model",
  verifyDeployment: "verify-deployment",
  rolloutModel: "rollout-model",
} as const satisfies Partial<Record<FunctionName, string>>;
export type VertexStep = keyof typeof naiveSteps;

export interface BenchBundles {
  functions: Record<FunctionName, Bundle>;
  naive: Record<VertexStep, Bundle>;
  bare: Bundle;
  /** githubWebhook's Cloud Storage and Pub/Sub calls alone (bench/io-floor). */
  ioFloor: Bundle;
  /** The verification worker (bench/verify-worker.ts), bundled like a function. */
  verifyWorker: string;
}

async function bundleEntry(entry: string, dir: string, plugins: Plugin[]): Promise<Bundle> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build(functionBundleOptions(join(root, entry), dir, plugins));
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ type: "module", main: "index.mjs" })}\n`);
  writeFileSync(join(dir, "modelgate.config.yaml"), readFileSync(join(root, "modelgate.config.yaml")));
  const { bundleBytes, startBytes } = bundleContents(result.metafile, dir);
  return {
    dir,
    bundleBytes,
    startBytes,
    imports: Object.keys(result.metafile.inputs).sort(),
  };
}

export async function buildBenchBundles(outRoot: string): Promise<BenchBundles> {
  const functions = {} as Record<FunctionName, Bundle>;
  for (const name of functionNames) {
    const built = await buildFunction(name, { outDir: join(outRoot, "functions"), zip: false });
    functions[name] = {
      dir: join(outRoot, "functions", name),
      bundleBytes: built.bundleBytes,
      startBytes: built.startBytes,
      imports: built.imports,
    };
  }
  const naive = {} as Record<VertexStep, Bundle>;
  for (const [name, file] of Object.entries(naiveSteps) as [VertexStep, string][]) {
    naive[name] = await bundleEntry(`bench/naive/${file}.ts`, join(outRoot, "naive", name), []);
  }
  const bare = await bundleEntry("bench/bare/index.ts", join(outRoot, "bare"), []);
  const ioFloor = await bundleEntry("bench/io-floor/index.ts", join(outRoot, "io-floor"), functionPlugins());
  const worker = await bundleEntry("bench/verify-worker.ts", join(outRoot, "verify-worker"), [
    vertexProtosPlugin(),
  ]);
  return { functions, naive, bare, ioFloor, verifyWorker: join(worker.dir, "index.mjs") };
}
