import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildFunction, entryOf, externalPackages, sizeTable } from "../../scripts/build-functions.js";
import { createZip } from "../../scripts/zip.js";
import { readZip } from "../support/read-zip.js";

describe("createZip", () => {
  const entries = [
    { name: "package.json", data: Buffer.from('{"type":"module"}') },
    { name: "index.mjs", data: Buffer.from("export const x = 1;\n".repeat(200)) },
    { name: "dir/ü.txt", data: Buffer.alloc(0) },
  ];

  it("round-trips every entry, compressed or stored", () => {
    const files = readZip(createZip(entries));
    expect([...files.keys()]).toEqual(["dir/ü.txt", "index.mjs", "package.json"]);
    for (const entry of entries) expect(files.get(entry.name)?.equals(entry.data)).toBe(true);
  });

  it("gives the same bytes for the same files in any order", () => {
    expect(createZip(entries).equals(createZip([...entries].reverse()))).toBe(true);
  });
});

describe("buildFunction", () => {
  const outDir = mkdtempSync(join(tmpdir(), "modelgate-build-"));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("bundles githubWebhook into a content-named zip with its package.json and configuration", async () => {
    expect(entryOf("githubWebhook")).toBeDefined();
    const built = await buildFunction("githubWebhook", { outDir });
    expect(built.zip).toMatch(/^github-webhook-[0-9a-f]{12}\.zip$/);
    const archive = readFileSync(join(outDir, built.zip));
    expect(built.sha256).toBe(createHash("sha256").update(archive).digest("hex"));
    expect(built.zip).toContain(built.sha256.slice(0, 12));
    expect(built.bytes).toBe(archive.length);

    const files = readZip(archive);
    const chunks = [...files.keys()].filter((name) => name.startsWith("chunks/"));
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.every((name) => /^chunks\/[\w-]+\.mjs$/.test(name))).toBe(true);
    expect([...files.keys()].filter((name) => !chunks.includes(name)).sort()).toEqual([
      "index.mjs",
      "modelgate.config.yaml",
      "package.json",
    ]);
    const rootPackage = JSON.parse(readFileSync("package.json", "utf8"));
    expect(JSON.parse(String(files.get("package.json")))).toEqual({
      type: "module",
      main: "index.mjs",
      dependencies: Object.fromEntries(
        externalPackages.map((name) => [name, rootPackage.dependencies[name]]),
      ),
    });
    expect(String(files.get("modelgate.config.yaml"))).toBe(readFileSync("modelgate.config.yaml", "utf8"));
    // The runtime's own Functions Framework must receive the registration, so it stays external.
    expect(String(files.get("index.mjs"))).toMatch(/from "@google-cloud\/functions-framework"/);
    expect(built.imports).toContain("functions/github-webhook/index.ts");
    expect(built.imports.some((i) => i.includes("@google-cloud/aiplatform"))).toBe(false);
    // The publisher half of the Pub/Sub library only: its generated client, not the index (subscriber, tracing).
    expect(built.imports).toContain("node_modules/@google-cloud/pubsub/build/src/v1/publisher_client.js");
    expect(built.imports.filter((i) => i.startsWith("node_modules/@google-cloud/pubsub/build/src/"))).toEqual(
      [
        "node_modules/@google-cloud/pubsub/build/src/v1/publisher_client.js",
        "node_modules/@google-cloud/pubsub/build/src/v1/publisher_client_config.json",
      ],
    );
    expect(sizeTable([built])).toContain("githubWebhook");
  });
});
