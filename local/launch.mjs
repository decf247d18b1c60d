// `npm start`: brings the bundles the local stack runs from up to date with the sources, then runs local/start.ts
// from its bundle (dist/local/start.mjs) in this process. A bundle is rebuilt only when a file it was built from
// changed since it was built (`npm ci` builds them all), so the functions always serve the code in the working
// tree; see docs/performance.md ("npm start").
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const { buildOutputs } = await import("../scripts/build-main.mjs");
const rebuildStarted = performance.now();
const rebuilt = await buildOutputs(["main", "start", "functions"], {
  ifStale: true,
  onRebuild: (work) =>
    process.stdout.write(`rebuilding ${work.map(({ name }) => name).join(", ")} (${work[0]?.reason})…\n`),
});
if (rebuilt.length > 0)
  process.stdout.write(`rebuilt in ${((performance.now() - rebuildStarted) / 1000).toFixed(1)} s\n`);
// Stack traces point at local/*.ts, as they did when npm ran start.ts through tsx.
process.setSourceMapsEnabled(true);
await import(pathToFileURL(resolve("dist/local/start.mjs")).href);
