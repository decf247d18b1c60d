// An esbuild plugin for the Google client libraries whose ESM build reads its JSON files from disk when the module
// loads, next to itself: `getJSON(path.join(dirname, 'cloud_tasks_client_config.json'))`, with `dirname` from
// `import.meta.url` (@google-cloud/tasks 6: the client config, protos.json and the package's version). Bundled,
// `dirname` is the bundle's directory and the files are not there: the module throws "Cannot find module" on load.
// The plugin turns each such call into a static import of the file, which esbuild bundles as JSON (one copy per
// file, however many clients read it). A library with such a call the plugin cannot read fails the build, naming
// the file, rather than the function at run time.
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

/** The packages whose modules read JSON next to themselves at load. */
const packages = /[\\/]node_modules[\\/]@google-cloud[\\/]tasks[\\/]build[\\/].*\.(c?js)$/;
const call =
  /(?:\(0, _jsonHelper\.getJSON\)|getJSON)\((?:_path\["default"\]|path)\.join\(dirname((?:,\s*'[^']*')+)\)\)/g;

/** The source with every `getJSON(path.join(dirname, …))` replaced by a bundled import of that file. */
export function inlineJsonReads(source, file) {
  const imports = [];
  const contents = source.replace(call, (_whole, segments) => {
    const parts = [...segments.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    let target = relative(dirname(file), join(dirname(file), ...parts)).replace(/\\/g, "/");
    if (!target.startsWith(".")) target = `./${target}`;
    if (/\.cjs$/.test(file)) return `require(${JSON.stringify(target)})`;
    const name = `__modelgate_json_${imports.length}`;
    imports.push(`import ${name} from ${JSON.stringify(target)};`);
    return name;
  });
  if (/getJSON\(/.test(contents.replace(/function getJSON\(/, ""))) {
    throw new Error(`${file}: a getJSON() call this plugin cannot turn into an import`);
  }
  return imports.length === 0 ? contents : `${imports.join("\n")}\n${contents}`;
}

export function gapicJsonPlugin() {
  return {
    name: "modelgate-gapic-json",
    setup(build) {
      build.onLoad({ filter: packages }, async (args) => {
        if (/json-helper\.c?js$/.test(args.path)) return undefined;
        const source = await readFile(args.path, "utf8");
        if (!source.includes("getJSON(")) return undefined;
        return { contents: inlineJsonReads(source, args.path), loader: "js", resolveDir: dirname(args.path) };
      });
    },
  };
}
