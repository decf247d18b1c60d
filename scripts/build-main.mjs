// Builds what runs from dist/ (paths are relative to the repository root, the working directory):
//
// - dist/index.js, the package's `main`: one ESM module that registers every function with the Functions
//   Framework, so `npx functions-framework --target=<name>` serves any of them as Cloud Functions does.
//   Dependencies stay external (node_modules); per-function deployable bundles are built by `npm run build`.
// - for `npm start` (see docs/performance.md, "npm start"): dist/local/start.mjs, local/start.ts as one module
//   (dependencies external), and dist/local/functions/<folder>/index.mjs, each function bundled on its own with its
//   dependencies, as `npm run build` bundles it for deployment. A process loading its one file starts in 50–60 %
//   of the CPU time it takes to load dist/index.js and resolve its dependencies from node_modules, and the local
//   stack starts eight of them on two cores.
//
// `node scripts/build-main.mjs` builds dist/index.js; `--local` also builds the local bundles; `--if-stale` builds
// only the outputs whose inputs (every file esbuild read, recorded with its size and mtime) changed since they
// were built. `prepare` (npm ci) builds everything; `npm start` rebuilds what is stale before it starts.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { banner } from "./esm-banner.mjs";
import { gapicJsonPlugin } from "./gapic-json-plugin.mjs";

const require = createRequire(import.meta.url);
const stampFile = join("dist", "local", "build-stamps.json");
const protosCacheDir = join("dist", "local", "vertex-protos");

/** The function folders (functions/<folder>/index.ts); the Functions Framework target is the camelCase name. */
export function functionFolders() {
  return readdirSync("functions", { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join("functions", entry.name, "index.ts")))
    .map((entry) => entry.name)
    .sort();
}

/** The builds that make one module with every dependency left external. */
const singleModuleBuilds = {
  main: { output: "dist/index.js", entry: "functions/index.ts" },
  start: { output: "dist/local/start.mjs", entry: "local/start.ts" },
};

/**
 * The builds, by name: `main`, `start`, and `functions/<folder>` for each function. The functions are built
 * together (esbuild reads their shared sources once) but recorded one by one, so an edit inside one function's
 * folder rebuilds only that function.
 */
function builds(name) {
  const single = singleModuleBuilds[name];
  if (single) {
    return {
      group: name,
      ...single,
      options: async () => ({ outfile: single.output, packages: "external", sourcemap: true }),
    };
  }
  const folder = name.slice("functions/".length);
  return {
    group: "functions",
    output: `dist/local/functions/${folder}/index.mjs`,
    entryName: `${folder}/index`,
    entry: `functions/${folder}/index.ts`,
    // Like `npm run build`: everything bundled but the Functions Framework (the runtime's own copy serves the
    // function), and each Vertex AI client with only its service's protos. The source maps leave out the
    // sources' text (a process with --enable-source-maps parses the map as it loads the bundle; the text would
    // triple it) and point at the files in the repository.
    options: async () => ({
      outdir: "dist/local/functions",
      outExtension: { ".js": ".mjs" },
      external: ["@google-cloud/functions-framework"],
      banner: { js: banner },
      plugins: [await cachedVertexProtosPlugin(), gapicJsonPlugin()],
      sourcemap: true,
      sourcesContent: false,
      legalComments: "none",
    }),
    // The trimmed protos come from this file through the plugin, not as an esbuild input.
    extraInputs: () => [aiplatformProtos()],
    after: () =>
      writeFileSync(
        join("dist", "local", "functions", folder, "package.json"),
        `${JSON.stringify({ type: "module", main: "index.mjs" })}\n`,
      ),
  };
}

/** `functions` stands for every function's build. */
function expand(names) {
  return names.flatMap((name) =>
    name === "functions" ? functionFolders().map((folder) => `functions/${folder}`) : [name],
  );
}

function aiplatformProtos() {
  return join(dirname(require.resolve("@google-cloud/aiplatform/package.json")), "build/protos/protos.json");
}

/** Anything that changes every output: this script and its plugin, esbuild's version, Node's major version. */
function buildKey() {
  const esbuildVersion = JSON.parse(readFileSync(require.resolve("esbuild/package.json"), "utf8")).version;
  return createHash("sha256")
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(readFileSync(fileURLToPath(new URL("./gapic-json-plugin.mjs", import.meta.url))))
    .update(`${esbuildVersion} ${process.versions.node.split(".")[0]}`)
    .digest("hex")
    .slice(0, 16);
}

function fingerprint(path) {
  try {
    const stat = statSync(path);
    return `${stat.size}:${Math.round(stat.mtimeMs)}`;
  } catch {
    return "missing";
  }
}

function readStamps() {
  try {
    return JSON.parse(readFileSync(stampFile, "utf8"));
  } catch {
    return {};
  }
}

/** Why a build must run again, or undefined while its output is newer than every input it was built from. */
function staleness(name, stamps, key, fingerprintOf) {
  const stamp = stamps[name];
  if (!stamp || stamp.key !== key) return "not built yet by this build script";
  if (!existsSync(builds(name).output)) return `${builds(name).output} is missing`;
  for (const [path, print] of Object.entries(stamp.inputs)) {
    if (fingerprintOf(path) !== print) return `${path} changed`;
  }
  return undefined;
}

/** Runs one esbuild build for builds of one group; returns each build's inputs with their fingerprints. */
async function buildGroup(names) {
  const { build } = await import("esbuild");
  const all = names.map(builds);
  const first = all[0];
  const entryPoints = first.entryName
    ? Object.fromEntries(all.map((b) => [b.entryName, b.entry]))
    : [first.entry];
  const result = await build({
    entryPoints,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    metafile: true,
    ...(await first.options()),
  });
  return all.map((b) => {
    b.after?.();
    const output = result.metafile.outputs[b.output];
    if (!output) throw new Error(`esbuild did not write ${b.output}`);
    const inputs = [
      ...Object.keys(output.inputs).filter((input) => !input.includes(":")),
      ...(b.extraInputs?.() ?? []),
    ];
    return Object.fromEntries(inputs.map((input) => [input, fingerprint(input)]));
  });
}

/**
 * Builds `names` (`main`, `start`, `functions`), all of them, or with `ifStale` only those with an input that
 * changed since they were built, and records what each was built from. Returns what it built, and why.
 */
export async function buildOutputs(names, { ifStale = false, onRebuild } = {}) {
  const key = buildKey();
  const stamps = readStamps();
  const work = [];
  // The builds share most inputs: look at each file once.
  const seen = new Map();
  const fingerprintOf = (path) => {
    if (!seen.has(path)) seen.set(path, fingerprint(path));
    return seen.get(path);
  };
  for (const name of expand(names)) {
    const reason = ifStale ? staleness(name, stamps, key, fingerprintOf) : "requested";
    if (reason) work.push({ name, reason });
  }
  if (work.length === 0) return [];
  onRebuild?.(work);
  const groups = new Map();
  for (const w of work) {
    const group = builds(w.name).group;
    groups.set(group, [...(groups.get(group) ?? []), w]);
  }
  const results = await Promise.all(
    [...groups.values()].map(async (group) => {
      const inputs = await buildGroup(group.map(({ name }) => name));
      return group.map(({ name }, i) => [name, inputs[i]]);
    }),
  );
  // Read again: another build may have recorded its own outputs meanwhile.
  const latest = readStamps();
  for (const [name, inputs] of results.flat()) latest[name] = { key, inputs };
  mkdirSync(dirname(stampFile), { recursive: true });
  // Whole or not at all: tests build dist/index.js from several processes at once.
  const temporary = `${stampFile}.${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(latest)}\n`);
  renameSync(temporary, stampFile);
  return work;
}

/**
 * scripts/vertex-protos-plugin.ts, with each service's trimmed protos kept on disk (keyed by the aiplatform
 * protos and the plugin's source): trimming parses the 4 MB protos.json once per service, seconds of CPU that a
 * rebuild after a source change need not repeat.
 */
async function cachedVertexProtosPlugin() {
  const { tsImport } = await import("tsx/esm/api");
  const pluginFile = fileURLToPath(new URL("./vertex-protos-plugin.ts", import.meta.url));
  const { vertexProtosPlugin } = await tsImport(pluginFile, import.meta.url);
  const version = createHash("sha256")
    .update(readFileSync(pluginFile))
    .update(fingerprint(aiplatformProtos()))
    .digest("hex")
    .slice(0, 16);
  const plugin = vertexProtosPlugin();
  return {
    name: plugin.name,
    setup(build) {
      plugin.setup({
        ...build,
        onLoad(options, callback) {
          build.onLoad(options, async (args) => {
            const cached = join(protosCacheDir, `${args.path}.${version}.json`);
            if (existsSync(cached)) return { contents: readFileSync(cached, "utf8"), loader: "json" };
            const result = await callback(args);
            if (result && typeof result.contents === "string") {
              mkdirSync(protosCacheDir, { recursive: true });
              writeFileSync(cached, result.contents);
            }
            return result;
          });
        },
      });
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const names = args.includes("--local") ? ["main", "start", "functions"] : ["main"];
  const built = await buildOutputs(names, { ifStale: args.includes("--if-stale") });
  if (args.includes("--if-stale"))
    console.log(built.map((b) => `${b.name}: ${b.reason}`).join("\n") || "up to date");
}
