import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { buildFunction } from "../../scripts/build-functions.js";
import { inlineJsonReads } from "../../scripts/gapic-json-plugin.mjs";
import { FunctionName, functionNames } from "../../shared/topology.js";

// A library bundled into a function must still load there. @google-cloud/tasks' ESM build reads its client config,
// protos.json and package.json from files beside its modules when they load (`getJSON(path.join(dirname, …))`);
// bundled, those files are not there, and rolloutModel failed at its first bake with "Cannot find module
// …/cloud_tasks_client_config.json" — in `npm start` and in the deployable bundle, though not under the tests' stack,
// which serves dist/index.js with node_modules beside it. scripts/gapic-json-plugin.mjs bundles the files instead.

// Under dist/ so the external packages (the Functions Framework, raw-body) resolve from the repository's
// node_modules, as the Cloud Functions build installs them beside the archive.
const outDir = mkdtempSync(join("dist", "bundle-chunks-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Imports every chunk of a built bundle in a fresh Node process (the entry registers the function; not it). */
function loadEveryChunk(dir: string): string {
  const chunks = readdirSync(join(dir, "chunks")).filter((name) => name.endsWith(".mjs"));
  const urls = chunks.map((name) => pathToFileURL(resolve(dir, "chunks", name)).href);
  const script = `for (const url of ${JSON.stringify(urls)}) await import(url); console.log(${chunks.length});`;
  return execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

describe("a deployable bundle's chunks", () => {
  it("of rolloutModel, with the Cloud Tasks client, all load in Node", { timeout: 120_000 }, async () => {
    const built = await buildFunction(FunctionName.rolloutModel, { outDir });
    expect(built.imports.some((input) => input.includes("node_modules/@google-cloud/tasks/"))).toBe(true);
    expect(Number(loadEveryChunk(join(outDir, FunctionName.rolloutModel)))).toBeGreaterThan(0);
  });

  it.each(functionNames.filter((name) => name !== FunctionName.rolloutModel))(
    "of %s all load in Node",
    { timeout: 120_000 },
    async (name) => {
      await buildFunction(name, { outDir });
      expect(Number(loadEveryChunk(join(outDir, name)))).toBeGreaterThan(0);
    },
  );
});

describe("gapicJsonPlugin", () => {
  const clientFile = resolve("node_modules/@google-cloud/tasks/build/esm/src/v2/cloud_tasks_client.js");

  it("turns each file the Cloud Tasks client reads at load into a bundled import", () => {
    const out = inlineJsonReads(readFileSync(clientFile, "utf8"), clientFile);
    expect(out).not.toMatch(/getJSON\(path\.join/);
    expect(out).toContain('from "./cloud_tasks_client_config.json"');
    expect(out).toContain('from "../../../protos/protos.json"');
    expect(out).toContain('from "../../../../package.json"');
  });

  it("requires the files in a CommonJS module", () => {
    const cjs = resolve("node_modules/@google-cloud/tasks/build/cjs/src/v2/cloud_tasks_client.cjs");
    const out = inlineJsonReads(readFileSync(cjs, "utf8"), cjs);
    expect(out).toContain('require("./cloud_tasks_client_config.json")');
    expect(out).not.toMatch(/getJSON\)\(_path/);
  });

  it("fails the build on a getJSON call it cannot read, naming the file", () => {
    expect(() => inlineJsonReads("const x = getJSON(somewhere);", "/lib/client.js")).toThrow(
      /\/lib\/client\.js: a getJSON\(\) call this plugin cannot turn into an import/,
    );
  });
});
