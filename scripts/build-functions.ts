// `npm run build`: one esbuild bundle per function (only what that function imports), zipped with a
// package.json and modelgate.config.yaml, named by content hash, plus dist/functions/manifest.json for Terraform.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildOptions as EsbuildOptions, type Metafile, type Plugin } from "esbuild";
import { type FunctionName, functionFolder, functionNames } from "../shared/topology.js";
import { banner } from "./esm-banner.mjs";
import { gapicJsonPlugin } from "./gapic-json-plugin.mjs";
import { pubsubProtosPlugin } from "./pubsub-protos-plugin.js";
import { vertexProtosPlugin } from "./vertex-protos-plugin.js";
import { createZip } from "./zip.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Packages left out of the bundle and installed by the Cloud Functions build instead. The Functions Framework
 * must be the runtime's own copy: the runtime starts it and it finds the function in its own registry, which a
 * bundled second copy would never fill. `raw-body` (the ingress body guard's reader) is the copy the framework's
 * body-parser has already loaded when the function's module loads, so as an external it costs a cold start
 * nothing, where bundled it was ≈ 560 KiB of the entry (its iconv-lite tables). Everything else (the Google client
 * libraries, their protos JSON and client configs) bundles cleanly; the Vertex AI clients are deep-imported one
 * service at a time.
 */
export const externalPackages = ["@google-cloud/functions-framework", "raw-body"] as const;

/**
 * How a function is bundled: ESM for Node 22 into `outdir`, the external packages left out, the banner on top of
 * every file. `index.mjs` is the entry; each dynamic `import()` (the client libraries, shared/runtime.ts) becomes a
 * chunk under `chunks/` that Node reads only when the import runs, so a cold instance that refuses a request never
 * parses the clients (docs/performance.md, "Cold start").
 */
export function functionBundleOptions(entry: string, outdir: string, plugins: Plugin[]) {
  return {
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    platform: "node",
    format: "esm",
    target: "node22",
    external: [...externalPackages],
    banner: { js: banner },
    plugins,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    absWorkingDir: root,
  } satisfies EsbuildOptions & { metafile: true };
}

/** The plugins every function's bundle is built with (the I/O floor's too, so it loads the same clients). */
export function functionPlugins(): Plugin[] {
  return [vertexProtosPlugin(), pubsubProtosPlugin(), gapicJsonPlugin()];
}

/** The files one bundle wrote (paths relative to its directory, `/` separators), each with its bytes. */
export function bundleFiles(metafile: Metafile, dir: string): Array<{ name: string; data: Buffer }> {
  return Object.keys(metafile.outputs)
    .filter((output) => !output.endsWith(".map"))
    .map((output) => {
      const name = relative(dir, join(root, output)).replace(/\\/g, "/");
      return { name, data: readFileSync(join(dir, name)) };
    });
}

/**
 * What a bundle's entry loads before its first line runs: `index.mjs` and every chunk it imports statically,
 * transitively (names relative to the bundle's directory), with their inputs. Chunks reached only through a
 * dynamic `import()` are left out.
 */
export function loadedAtStart(metafile: Metafile, dir: string): { files: string[]; inputs: string[] } {
  const seen = new Set<string>();
  const visit = (output: string) => {
    if (seen.has(output)) return;
    seen.add(output);
    for (const imported of metafile.outputs[output]?.imports ?? []) {
      if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
    }
  };
  visit(relative(root, join(dir, "index.mjs")).replace(/\\/g, "/"));
  return {
    files: [...seen].map((output) => relative(dir, join(root, output)).replace(/\\/g, "/")).sort(),
    inputs: [...seen].flatMap((output) => Object.keys(metafile.outputs[output]?.inputs ?? {})).sort(),
  };
}

/** A written bundle's files, its size in all and at start, and the inputs it loads at start. */
export function bundleContents(metafile: Metafile, dir: string) {
  const files = bundleFiles(metafile, dir);
  const atStart = loadedAtStart(metafile, dir);
  const sizeOf = (list: typeof files) => list.reduce((sum, file) => sum + file.data.length, 0);
  return {
    files,
    bundleBytes: sizeOf(files),
    startBytes: sizeOf(files.filter((file) => atStart.files.includes(file.name))),
    importsAtStart: atStart.inputs,
  };
}

export interface BuiltFunction {
  name: FunctionName;
  zip: string;
  sha256: string;
  bytes: number;
  /** Every file of the bundle: the entry and its chunks. */
  bundleBytes: number;
  /** The entry and the chunks it imports statically: what a cold instance parses before its first request. */
  startBytes: number;
  /** The bundle's inputs (repository-relative), from esbuild's metafile. */
  imports: string[];
  /** The inputs loaded as the entry loads (see `loadedAtStart`). */
  importsAtStart: string[];
}

export interface BuildOptions {
  outDir?: string;
  configFile?: string;
  /** Skip writing the zip (the import check only needs the metafile). */
  zip?: boolean;
}

/** The dependency versions the root package.json pins, for the generated package.json. */
function pinnedVersions(names: readonly string[]): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  return Object.fromEntries(
    names.map((name) => {
      const version = pkg.dependencies?.[name];
      if (!version) throw new Error(`${name} is external but not a dependency in package.json`);
      return [name, version];
    }),
  );
}

/** The entry file of a function, or undefined while its folder has no index.ts yet. */
export function entryOf(name: FunctionName): string | undefined {
  const entry = join(root, "functions", functionFolder(name), "index.ts");
  return existsSync(entry) ? entry : undefined;
}

/** Bundles one function and (by default) zips it; returns what the manifest records. */
export async function buildFunction(name: FunctionName, options: BuildOptions = {}): Promise<BuiltFunction> {
  const entry = entryOf(name);
  if (!entry) throw new Error(`functions/${functionFolder(name)}/index.ts does not exist`);
  const outDir = options.outDir ?? join(root, "dist", "functions");
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  // Each Vertex AI client gets only its own service's protos, and Pub/Sub none of its unused static ones.
  const result = await build(functionBundleOptions(entry, dir, functionPlugins()));
  const { files, bundleBytes, startBytes, importsAtStart } = bundleContents(result.metafile, dir);
  const packageJson = `${JSON.stringify(
    { type: "module", main: "index.mjs", dependencies: pinnedVersions(externalPackages) },
    null,
    2,
  )}\n`;
  const config = readFileSync(options.configFile ?? join(root, "modelgate.config.yaml"));
  writeFileSync(join(dir, "package.json"), packageJson);
  writeFileSync(join(dir, "modelgate.config.yaml"), config);
  const imports = Object.keys(result.metafile.inputs)
    .map((input) => input.replace(/\\/g, "/"))
    .sort();

  let zipName = "";
  let sha256 = "";
  let bytes = 0;
  if (options.zip !== false) {
    const archive = createZip([
      ...files,
      { name: "package.json", data: Buffer.from(packageJson) },
      { name: "modelgate.config.yaml", data: config },
    ]);
    sha256 = createHash("sha256").update(archive).digest("hex");
    zipName = `${functionFolder(name)}-${sha256.slice(0, 12)}.zip`;
    bytes = archive.length;
    writeFileSync(join(outDir, zipName), archive);
  }
  return {
    name,
    zip: zipName,
    sha256,
    bytes,
    bundleBytes,
    startBytes,
    imports,
    importsAtStart,
  };
}

/** One function's bundle inputs (esbuild metafile, repository-relative), without writing anything. */
export async function bundleInputs(name: FunctionName): Promise<string[]> {
  const entry = entryOf(name);
  if (!entry) throw new Error(`functions/${functionFolder(name)}/index.ts does not exist`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    outfile: "index.mjs",
    platform: "node",
    format: "esm",
    target: "node22",
    external: [...externalPackages],
    metafile: true,
    logLevel: "silent",
    absWorkingDir: root,
  });
  return Object.keys(result.metafile.inputs)
    .map((input) => input.replace(/\\/g, "/"))
    .sort();
}

/** Builds every function whose folder exists; missing ones are reported and skipped. */
export async function buildAll(
  options: BuildOptions = {},
): Promise<{ built: BuiltFunction[]; missing: FunctionName[] }> {
  const outDir = options.outDir ?? join(root, "dist", "functions");
  mkdirSync(outDir, { recursive: true });
  const built: BuiltFunction[] = [];
  const missing: FunctionName[] = [];
  for (const name of functionNames) {
    if (!entryOf(name)) {
      missing.push(name);
      continue;
    }
    built.push(await buildFunction(name, { ...options, outDir }));
  }
  const manifest = Object.fromEntries(
    built.map((b) => [b.name, { zip: b.zip, sha256: b.sha256, bytes: b.bytes, imports: b.imports }]),
  );
  writeFileSync(join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return { built, missing };
}

/** A plain-text table of bundle and zip sizes. */
export function sizeTable(built: readonly BuiltFunction[]): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const rows = [
    ["function", "bundle", "zip", "inputs", "archive"],
    ...built.map((b) => [b.name, kib(b.bundleBytes), kib(b.bytes), String(b.imports.length), b.zip]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { built, missing } = await buildAll();
  for (const name of missing) {
    console.warn(
      `warning: functions/${functionFolder(name)}/index.ts does not exist yet; ${name} was not built`,
    );
  }
  console.log(sizeTable(built));
  console.log(`manifest: ${relative(process.cwd(), join(root, "dist", "functions", "manifest.json"))}`);
}
