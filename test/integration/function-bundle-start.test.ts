import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../local/free-port.js";
import { startFunctionProcess } from "../../local/function-process.js";
import { type BuiltFunction, buildFunction } from "../../scripts/build-functions.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { ingressTestConfigYaml } from "../support/ingress-config.js";
import { ownFixture } from "../support/ingress-fixtures.js";
import { githubHeaders, webhookSecret } from "../support/ingress-github.js";
import { send } from "../support/ingress-http.js";
import { type IngressStack, startIngressStack } from "../support/ingress-stack.js";
import { readZip } from "../support/read-zip.js";

// Issue #18 item 3: the deployable bundle is split (esbuild code splitting, ESM), so a cold instance parses the
// client libraries only once a request is past authentication. The archive must still carry every chunk, and the
// Functions Framework must load its ESM entry as Cloud Functions does (`--source` = the unzipped archive).

/** The client libraries a refusal must not load. */
const clientLibraries = ["@google-cloud/storage", "@google-cloud/pubsub", "google-gax", "@grpc/grpc-js"];
const loadsAny = (inputs: string[], packages: string[]) =>
  packages.filter((name) => inputs.some((input) => input.includes(`node_modules/${name}/`)));

// Under dist/ so the archive's one external package (the Functions Framework) resolves from the repository's
// node_modules, as the Cloud Functions build installs it beside the archive.
const outDir = mkdtempSync(join("dist", "bundle-start-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const ingress = [FunctionName.githubWebhook, FunctionName.tektonEvents, FunctionName.artifactUploaded];
const built = new Map<string, BuiltFunction>();
beforeAll(async () => {
  for (const name of ingress) built.set(name, await buildFunction(name, { outDir }));
}, 120_000);

describe("a split ingress bundle", () => {
  it.each(ingress)("%s loads no client library at start, and its archive carries them", (name) => {
    const fn = built.get(name) as BuiltFunction;
    expect(loadsAny(fn.importsAtStart, clientLibraries)).toEqual([]);
    expect(loadsAny(fn.imports, ["@google-cloud/storage", "@google-cloud/pubsub"])).toHaveLength(2);
    expect(fn.startBytes).toBeLessThan(fn.bundleBytes / 3);
    // What a refusal parses: settings, configuration (yaml, zod through its namespace import, ≈ 200 KiB) and the
    // handler, 530–720 KiB. One `import { z } from "zod"` anywhere it reaches brings zod's whole 730 KiB back
    // (decisions.md, "Split bundles"), as shared/rollout-config.ts once did.
    expect(fn.startBytes).toBeLessThan(900 * 1024);
    // Pub/Sub's generated static protos (3 MB, re-exported and never read) are left out.
    expect(
      fn.imports.filter((input) => input.endsWith("@google-cloud/pubsub/build/protos/protos.js")),
    ).toEqual([]);
  });

  it("zips every file the build wrote: the entry and every chunk", () => {
    const fn = built.get(FunctionName.githubWebhook) as BuiltFunction;
    const dir = join(outDir, FunctionName.githubWebhook);
    const written = [
      ...readdirSync(dir),
      ...readdirSync(join(dir, "chunks")).map((chunk) => `chunks/${chunk}`),
    ].filter((name) => name !== "chunks");
    expect([...readZip(join(outDir, fn.zip)).keys()].sort()).toEqual(written.sort());
  });
});

describe("the unzipped archive served by the Functions Framework", () => {
  let stack: IngressStack;
  let source: string;
  beforeAll(async () => {
    stack = await startIngressStack({
      configYaml: ingressTestConfigYaml(),
      bucket: "modelgate-artifacts",
      topics: [Topic.trainingRequested, Topic.deploymentRequested],
    });
    const fn = built.get(FunctionName.githubWebhook) as BuiltFunction;
    source = join(outDir, "unzipped");
    for (const [name, data] of readZip(join(outDir, fn.zip))) {
      mkdirSync(dirname(join(source, name)), { recursive: true });
      writeFileSync(join(source, name), data);
    }
  });
  afterAll(() => stack?.close());

  it("refuses an unsigned delivery, then accepts a signed one through the clients' chunks", async () => {
    const lines: string[] = [];
    const fn = await startFunctionProcess({
      target: FunctionName.githubWebhook,
      port: await freePort(),
      source,
      env: { ...stack.env, GITHUB_WEBHOOK_SECRET: webhookSecret },
      nodeFlags: [],
      onLine: (_t, line) => lines.push(line),
    });
    try {
      const body = ownFixture("github/push-main.json");
      const unsigned = await send(fn.url, {
        headers: { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "u-1" },
        body,
      });
      expect(unsigned).toMatchObject({ status: 401, body: { status: "refused" } });
      const signed = await send(fn.url, { headers: await githubHeaders(body), body });
      // The function's log says why, should the clients' chunks fail to load.
      expect(signed, lines.join("\n")).toMatchObject({ status: 202, body: { status: "accepted" } });
      expect(await stack.pull(Topic.trainingRequested, 1)).toHaveLength(1);
    } finally {
      await fn.kill();
    }
  }, 60_000);

  it("fails at start, naming the variable, when the secret is missing", async () => {
    await expect(
      startFunctionProcess({
        target: FunctionName.githubWebhook,
        port: await freePort(),
        source,
        env: { ...stack.env, GITHUB_WEBHOOK_SECRET: "" },
        nodeFlags: [],
      }),
    ).rejects.toThrow(/GITHUB_WEBHOOK_SECRET is not set/);
  }, 60_000);
});
