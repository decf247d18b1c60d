// Runs on `npm ci` / `npm install` in a clone: builds dist/index.js (the package's `main`, which registers every
// function for `npx functions-framework --target=<name>`) and the bundles `npm start` runs (dist/local/; see
// scripts/build-main.mjs), and links the `modelgate` command into
// node_modules/.bin, so `npx modelgate …` runs this clone's CLI (npm links a package's own bin only for its
// dependants, and would otherwise look the name up in the registry).
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";

const binDir = join("node_modules", ".bin");
const link = join(binDir, "modelgate");
if (existsSync("node_modules")) {
  mkdirSync(binDir, { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(relative(binDir, join("bin", "modelgate.js")), link);
  chmodSync(join("bin", "modelgate.js"), 0o755);
}

if (existsSync(join("functions", "index.ts"))) {
  const { buildOutputs } = await import("./build-main.mjs");
  await buildOutputs(["main", "start", "functions"]);
}
