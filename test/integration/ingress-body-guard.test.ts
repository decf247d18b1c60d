import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { http } from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubMaxPayloadBytes } from "../../functions/github-webhook/settings.js";
import { tektonMaxBodyBytes } from "../../functions/tekton-events/settings.js";
import { freePort } from "../../local/free-port.js";
import { startFunctionProcess } from "../../local/function-process.js";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { ownFixture, ownJson } from "../support/ingress-fixtures.js";
import { githubHeaders, webhookSecret } from "../support/ingress-github.js";
import { type ServedFunction, send } from "../support/ingress-http.js";
import { type ServedIngress, serveOnIngressStack } from "../support/ingress-served.js";
import { binaryTektonEvent, sinkToken } from "../support/ingress-tekton.js";
import { neverEnding, rawPost, repeatedChunks } from "../support/raw-http.js";

// Regression (issue #14, item 1): the Functions Framework read, inflated and parsed every body (up to 1 GB) before
// the function ran, so anyone could exhaust an instance's memory without the secret. Each case here is answered
// while the body is still arriving: nothing waited for it, so nothing buffered, inflated or parsed it. The
// memory figures under such traffic come from `npm run load:hostile` (docs/reliability.md), not from a test.

let served: ServedIngress;
let github: ServedFunction;
let tekton: ServedFunction;
let stopStreams: () => void;
const streamsStopped = new Promise<void>((resolve) => {
  stopStreams = resolve;
});

beforeAll(async () => {
  served = await serveOnIngressStack([FunctionName.githubWebhook, FunctionName.tektonEvents], {
    topics: [Topic.trainingRequested, Topic.deploymentRequested, Topic.artifactReady],
    env: { GITHUB_WEBHOOK_SECRET: webhookSecret, TEKTON_SINK_TOKEN: sinkToken },
  });
  [github, tekton] = served.functions as [ServedFunction, ServedFunction];
});

afterAll(async () => {
  stopStreams();
  await served?.close();
});

const mb = 1024 * 1024;
// 64 MB of JSON whitespace inflates from ~64 KB of gzip: the framework would have inflated it to 64 MB.
const gzipBomb = gzipSync(Buffer.concat([Buffer.from("["), Buffer.alloc(64 * mb, 0x20), Buffer.from("]")]));

/** The headers of a delivery that claims to be GitHub's, signed with a secret nobody configured. */
async function strangerHeaders(): Promise<Record<string, string>> {
  return githubHeaders("{}", { secret: "not-the-configured-secret-not-the-configured" });
}

describe.each([
  { name: "githubWebhook", fn: () => github, limit: githubMaxPayloadBytes, headers: strangerHeaders },
  {
    name: "tektonEvents",
    fn: () => tekton,
    limit: tektonMaxBodyBytes,
    headers: async () => binaryTektonEvent(ownJson("tekton/pipelinerun-successful.json")).headers,
  },
])("$name's body guard", ({ fn, limit, headers }) => {
  it.each(["gzip", "deflate", "br", "GZIP", "identity, gzip"])(
    "refuses Content-Encoding %s with 415 before reading the body",
    async (encoding) => {
      const answer = await rawPost(
        fn().url,
        { ...(await headers()), "content-encoding": encoding },
        neverEnding(gzipBomb.subarray(0, 1024), streamsStopped),
      );
      expect(answer).toMatchObject({ status: 415, ended: false, body: { status: "refused" } });
      expect(answer.body?.reason).toMatch(/Content-Encoding .* is not accepted; send the body uncompressed/);
    },
  );

  it("refuses a Content-Length over the limit with 413 before reading the body", async () => {
    const answer = await rawPost(
      fn().url,
      { ...(await headers()), "content-length": String(limit + 1) },
      neverEnding(Buffer.alloc(1024, 0x20), streamsStopped),
    );
    expect(answer).toMatchObject({ status: 413, ended: false, body: { status: "refused" } });
  });

  it("stops a chunked body (no Content-Length) at the limit with 413", async () => {
    const chunk = Buffer.alloc(mb, 0x20);
    const answer = await rawPost(fn().url, await headers(), repeatedChunks(chunk, 200));
    expect(answer).toMatchObject({ status: 413, ended: false, body: { status: "refused" } });
    // Answered once the limit was passed, not after the 200 MB the client was ready to send.
    expect(answer.sentBytes).toBeLessThan(200 * mb);
  });
});

describe("githubWebhook parses nothing it has not authenticated", () => {
  it("answers a body that is not JSON with its own 401 (the framework's parser never saw it)", async () => {
    const body = "[{},{},{},".repeat(1000);
    const response = await send(github.url, { headers: await strangerHeaders(), body });
    expect(response).toMatchObject({ status: 401, body: { status: "refused" } });
  });

  it("still accepts a signed delivery, once, after all that", async () => {
    const body = ownFixture("github/push-main.json");
    const response = await send(github.url, { headers: await githubHeaders(body), body });
    expect(response).toMatchObject({ status: 202, body: { status: "accepted" } });
    expect(await served.stack.pull(Topic.trainingRequested, 1)).toHaveLength(1);
  });
});

describe("the guard where the function runs", () => {
  it("guards a function process started as Cloud Functions starts it (functions-framework --target)", async () => {
    const fn = await startFunctionProcess({
      target: FunctionName.githubWebhook,
      port: await freePort(),
      // The function's own entry, as its deployed bundle registers it (tsx loads the TypeScript).
      source: "functions/github-webhook/index.ts",
      env: { NODE_OPTIONS: "--import=tsx", GITHUB_WEBHOOK_SECRET: webhookSecret },
    });
    try {
      const gzip = await rawPost(
        `${fn.url}/`,
        { ...(await strangerHeaders()), "content-encoding": "gzip" },
        neverEnding(gzipBomb.subarray(0, 1024), streamsStopped),
      );
      expect(gzip).toMatchObject({ status: 415, ended: false });
      const chunked = await rawPost(
        `${fn.url}/`,
        await strangerHeaders(),
        repeatedChunks(Buffer.alloc(mb), 200),
      );
      expect(chunked).toMatchObject({ status: 413, ended: false });
    } finally {
      await fn.kill();
    }
  }, 60_000);

  it("fails closed (500) when an ingress function is served without the guard", async () => {
    http(
      "unguardedProbe",
      serveIngress("unguardedProbe", { maxBodyBytes: 1024 }, async () => {
        throw new Error("the handler must not run");
      }),
    );
    // Served by a server the guard was not told about, in a process whose target is not this function.
    const server: Server = getTestServer("unguardedProbe");
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const response = await send(url, { headers: { "content-type": "application/json" }, body: "{}" });
      expect(response).toMatchObject({ status: 500, body: { status: "error" } });
    } finally {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
});
