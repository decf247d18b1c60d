// Builds dist/index.js, the package's `main`: one ESM module that registers every function with the Functions
// Framework, so `npx functions-framework --target=<name>` serves any of them as Cloud Functions does.
// Dependencies stay external (node_modules); per-function deployable bundles are built by `npm run build`.
import { build } from "esbuild";

await build({
  entryPoints: ["functions/index.ts"],
  outfile: "dist/index.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
});
