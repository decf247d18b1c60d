import { createHmac, randomUUID } from "node:crypto";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { type CloudEvent, http } from "@google-cloud/functions-framework";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtifactUploadedHandler } from "../../functions/artifact-uploaded/handler.js";
import { createGithubWebhookHandler } from "../../functions/github-webhook/handler.js";
import { createTektonEventsHandler } from "../../functions/tekton-events/handler.js";
import { decodeMessage, encodeMessage } from "../../shared/contracts.js";
import { TransientError } from "../../shared/errors.js";
import { recordBranchPush } from "../../shared/ingress/branch-pushes.js";
import type { IngressRequest, IngressResponse } from "../../shared/ingress/http.js";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { createLogger } from "../../shared/logger.js";
import { manifestPath } from "../../shared/manifest.js";
import { ingressTestDeps } from "../support/ingress-deps.js";
import { ownJson } from "../support/ingress-fixtures.js";
import { type ServedFunction, serveFunction } from "../support/ingress-http.js";
import { testManifest } from "../support/ingress-manifest.js";
import { binaryTektonEvent, sinkToken, structuredTektonEvent } from "../support/ingress-tekton.js";
import { rawPost } from "../support/raw-http.js";
import type { RecordingPublisher } from "../support/recording-publisher.js";

// Hostile input for the three ingress functions, through their handler factories with in-memory ports: random and
// mutated GitHub deliveries, CloudEvents with missing / oversized / duplicated attributes, storage events with odd
// object names; and, over the Functions Framework's HTTP server, compressed bodies, streams without Content-Length
// and abusive headers. Whatever arrives: no 5xx unless a port really failed, nothing published without a valid signature
// or token, nothing published that fails its contract, and one instance's memory stays bounded.
// MODELGATE_FUZZ_RUNS scales the number of cases per property (the seed is fast-check's, printed on failure).
const runs = Number(process.env.MODELGATE_FUZZ_RUNS ?? 1000);
const secret = "fuzz-webhook-secret";
const tried: Record<string, number> = {};
const commit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";

afterAll(() => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  console.log(
    `ingress fuzz: ${total} cases tried (${Object.entries(tried)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")})`,
  );
});

/** Ports for one function instance, kept for the whole property: state and memory accumulate as in production. */
function deps() {
  // The handlers' own clock, and no log lines kept: the properties measure the heap.
  const { now: _now, ...ports } = ingressTestDeps({ keepLogs: false });
  return ports;
}

/** Every published message must pass its contract (decoded again from the wire form) and name a configured model. */
function expectContracts(publisher: RecordingPublisher, models: string[]): void {
  for (const p of publisher.published) {
    const { data } = encodeMessage(p.topic, p.message as never);
    const decoded = decodeMessage(p.topic, data) as { model: string; commit: string };
    expect(models).toContain(decoded.model);
    expect(decoded.commit).toMatch(/^[0-9a-f]{7,40}$/);
  }
}

function heapMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

// ——— JSON mutation ———

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const oddString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "",
    "..",
    "../../etc/passwd",
    "refs/heads/main",
    "refs/tags/promote/fraud-detector/v1",
    "refs/tags/promote/fraud-detector/../../x",
    "acme/fraud-detector",
    "ACME/Fraud-Detector",
    "acme/other",
    commit,
    commit.toUpperCase(),
    "0000000000000000000000000000000000000000",
    "models/fraud-detector/train.py",
    "\u0000",
    "🙂".repeat(50),
    "__proto__",
    "constructor",
  ),
  fc.string({ minLength: 2000, maxLength: 5000 }),
);
const oddValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: oddString as fc.Arbitrary<Json> },
  fc.constantFrom<Json>(null, true, false, 0, -1, 1e308, [], {}),
  fc.integer() as fc.Arbitrary<Json>,
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

/** All paths to values inside a JSON document. */
function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...prefix, i]));
  } else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

type Mutation = { pick: number; kind: "set" | "delete" | "duplicate-key"; value: Json };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom("set", "delete", "duplicate-key"),
  value: oddValue,
});

function mutate(doc: Json, mutations: Mutation[]): Json {
  let out = structuredClone(doc);
  for (const m of mutations) {
    const all = paths(out);
    const path = all[m.pick % all.length] ?? [];
    if (path.length === 0) {
      if (m.kind === "set") out = m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<Json>((v, k) => (v as Record<string, Json>)[k] as Json, out);
    const key = path.at(-1) as string | number;
    if (parent === null || typeof parent !== "object") continue;
    if (m.kind === "delete") {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete (parent as Record<string, Json>)[key];
    } else if (m.kind === "duplicate-key" && !Array.isArray(parent)) {
      (parent as Record<string, Json>)[`${String(key)}`] = m.value; // overwritten below as text
    } else {
      (parent as Record<string, Json>)[key] = m.value;
    }
  }
  return out;
}

/** JSON text, sometimes with a key repeated (JSON.parse keeps the last; a signature covers both). */
function serialise(doc: Json, duplicate: boolean): string {
  const text = JSON.stringify(doc);
  if (!duplicate || !text.startsWith("{")) return text;
  return `{"ref":"refs/heads/elsewhere",${text.slice(1)}`;
}

// ——— githubWebhook ———

const githubBases: Json[] = [
  ownJson<Json>("github/push-main.json"),
  ownJson<Json>("github/push-annotated-tag.json"),
  ownJson<Json>("github/ping.json"),
];

const githubCase = fc.record({
  base: fc.nat({ max: githubBases.length - 1 }),
  random: fc.option(fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>, { freq: 6 }),
  mutations: fc.array(mutation, { maxLength: 4 }),
  duplicateKey: fc.boolean(),
  rawBytes: fc.option(fc.uint8Array({ maxLength: 512 }), { freq: 10 }),
  signature: fc.constantFrom(
    "valid",
    "valid",
    "valid",
    "wrong-secret",
    "other-body",
    "garbage",
    "missing",
    "sha1",
    "array",
  ),
  event: fc.oneof(fc.constantFrom("push", "push", "ping", "create", "PUSH", undefined), oddString),
  delivery: fc.oneof(fc.uuid(), fc.constant(undefined), oddString, fc.constant("same-delivery-id")),
  contentType: fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/x-www-form-urlencoded",
    "text/plain",
    undefined,
  ),
  method: fc.constantFrom("POST", "POST", "POST", "GET", "PUT"),
  extraHeaders: fc.dictionary(
    fc.constantFrom(
      "x-github-event",
      "x-github-delivery",
      "x-hub-signature-256",
      "content-type",
      "x-forwarded-for",
    ),
    fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 })),
    { maxKeys: 2 },
  ),
  overrideExtra: fc.boolean(),
});

/** X-Hub-Signature-256 over the exact bytes, as GitHub computes it. */
function sign(key: string, body: Buffer): string {
  return `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
}

async function githubRequest(c: GithubCase) {
  const doc = c.random ?? mutate(githubBases[c.base] as Json, c.mutations);
  const body = c.rawBytes ? Buffer.from(c.rawBytes) : Buffer.from(serialise(doc, c.duplicateKey));
  let signature: string | string[] | undefined;
  let signed = false;
  switch (c.signature) {
    case "valid":
      signature = sign(secret, body);
      signed = true;
      break;
    case "wrong-secret":
      signature = sign("not-the-secret", body);
      break;
    case "other-body":
      signature = sign(secret, Buffer.concat([body, Buffer.from(" ")]));
      break;
    case "garbage":
      signature = "sha256=zz";
      break;
    case "sha1":
      signature = "sha1=0000000000000000000000000000000000000000";
      break;
    case "array":
      signature = [sign(secret, body), "sha256=00"];
      break;
    case "missing":
      signature = undefined;
  }
  const headers: Record<string, string | string[] | undefined> = {
    ...(c.contentType === undefined ? {} : { "content-type": c.contentType }),
    ...(c.event === undefined ? {} : { "x-github-event": c.event }),
    ...(c.delivery === undefined ? {} : { "x-github-delivery": c.delivery }),
    ...(signature === undefined ? {} : { "x-hub-signature-256": signature }),
  };
  if (c.overrideExtra) {
    for (const [k, v] of Object.entries(c.extraHeaders)) {
      headers[k] = v;
      if (k === "x-hub-signature-256" || k === "content-type") signed = false;
    }
  }
  const request: IngressRequest = { method: c.method, headers, body };
  return { request, signed };
}
type GithubCase = {
  base: number;
  random: Json | null;
  mutations: Mutation[];
  duplicateKey: boolean;
  rawBytes: Uint8Array | null;
  signature: string;
  event: string | undefined;
  delivery: string | undefined;
  contentType: string | undefined;
  method: string;
  extraHeaders: Record<string, string | string[]>;
  overrideExtra: boolean;
};

describe("githubWebhook under hostile deliveries", () => {
  it("never answers 5xx, never publishes what is not signed, never publishes a broken message", async () => {
    const d = deps();
    const handler = createGithubWebhookHandler({ ...d, secrets: [secret] });
    const heapBefore = heapMb();
    await fc.assert(
      fc.asyncProperty(githubCase, async (c) => {
        tried.githubWebhook = (tried.githubWebhook ?? 0) + 1;
        const { request, signed } = await githubRequest(c as GithubCase);
        const before = d.publisher.published.length;
        const response: IngressResponse = await handler(request);
        expect(response.statusCode).toBeLessThan(500);
        expect(response.statusCode).toBeGreaterThanOrEqual(200);
        const published = d.publisher.published.length - before;
        if (!signed) {
          expect(published).toBe(0);
          if (c.signature !== "valid" && c.signature !== "array")
            expect(response.statusCode).toBeGreaterThanOrEqual(400);
        }
        if (published > 0) {
          expect(response.statusCode).toBe(202);
          tried.githubPublished = (tried.githubPublished ?? 0) + 1;
        }
      }),
      { numRuns: runs },
    );
    expectContracts(d.publisher, Object.keys(d.config.models));
    // One instance after every case: bounded (the bucket holds only what accepted deliveries recorded).
    expect(heapMb() - heapBefore).toBeLessThan(256);
  });

  it("answers 5xx only when publishing really failed, and then publishes nothing", async () => {
    const d = deps();
    d.publisher.failWith = new TransientError("Pub/Sub is unavailable (injected)");
    const handler = createGithubWebhookHandler({ ...d, secrets: [secret] });
    await fc.assert(
      fc.asyncProperty(githubCase, async (c) => {
        tried.githubWebhookFaulty = (tried.githubWebhookFaulty ?? 0) + 1;
        const { request } = await githubRequest(c as GithubCase);
        const response = await handler(request);
        expect([200, 202, 400, 401, 403, 404, 405, 409, 413, 415, 422, 503]).toContain(response.statusCode);
        expect(d.publisher.published).toHaveLength(0);
      }),
      { numRuns: Math.ceil(runs / 3) },
    );
  });
});

// ——— tektonEvents ———

const tektonBases = [
  ownJson<Record<string, Json>>("tekton/pipelinerun-successful.json"),
  ownJson<Record<string, Json>>("tekton/pipelinerun-failed.json"),
  ownJson<Record<string, Json>>("tekton/taskrun-churn-successful.json"),
];
const ceAttributes = ["specversion", "id", "source", "type", "subject", "time"] as const;

const tektonCase = fc.record({
  base: fc.nat({ max: tektonBases.length - 1 }),
  mode: fc.constantFrom("binary", "structured"),
  mutations: fc.array(mutation, { maxLength: 3 }),
  missing: fc.subarray([...ceAttributes]),
  oversized: fc.subarray([...ceAttributes], { maxLength: 2 }),
  oversizeBytes: fc.constantFrom(300, 4096, 70_000, 1_100_000),
  duplicated: fc.subarray([...ceAttributes], { maxLength: 2 }),
  token: fc.constantFrom("valid", "valid", "valid", "wrong", "missing", "array", "empty", "padded"),
  id: fc.oneof(fc.uuid(), oddString, fc.constant("same-event-id")),
});
type TektonCase = {
  base: number;
  mode: string;
  mutations: Mutation[];
  missing: string[];
  oversized: string[];
  oversizeBytes: number;
  duplicated: string[];
  token: string;
  id: string;
};

function tektonRequest(c: TektonCase): { request: IngressRequest; authenticated: boolean } {
  const body = mutate(tektonBases[c.base] as Json, c.mutations);
  const validShape = body !== null && typeof body === "object" && !Array.isArray(body);
  const runBody = (
    validShape ? body : { pipelineRun: { metadata: { name: "x", namespace: "ml-ci" } } }
  ) as Record<string, any>;
  let event: { headers: Record<string, string>; body: string };
  try {
    event = (c.mode === "binary" ? binaryTektonEvent : structuredTektonEvent)(runBody, {
      id: c.id,
      token: null,
    });
  } catch {
    // The fixture helper needs pipelineRun/taskRun metadata; without it, send the mutated body bare.
    event = {
      headers: { "content-type": "application/json", "ce-specversion": "1.0", "ce-id": c.id },
      body: JSON.stringify(body),
    };
  }
  const headers: Record<string, string | string[]> = { ...event.headers };
  let doc: Record<string, unknown> | undefined;
  if (c.mode === "structured") {
    try {
      doc = JSON.parse(event.body) as Record<string, unknown>;
    } catch {
      doc = undefined;
    }
  }
  const big = "x".repeat(c.oversizeBytes);
  for (const name of c.oversized) {
    if (doc) doc[name] = big;
    else headers[`ce-${name}`] = big;
  }
  for (const name of c.missing) {
    if (doc) delete doc[name];
    else delete headers[`ce-${name}`];
  }
  for (const name of c.duplicated) {
    const value = doc ? String(doc[name] ?? "dup") : String(headers[`ce-${name}`] ?? "dup");
    // Node hands repeated headers over as arrays; a structured event may also carry them as ce- headers.
    headers[`ce-${name}`] = [value, `${value}-again`];
  }
  let authenticated = true;
  switch (c.token) {
    case "valid":
      headers["x-modelgate-token"] = sinkToken;
      break;
    case "wrong":
      headers["x-modelgate-token"] = "not-the-token";
      authenticated = false;
      break;
    case "missing":
      authenticated = false;
      break;
    case "array":
      headers["x-modelgate-token"] = ["not-the-token", sinkToken];
      authenticated = false;
      break;
    case "empty":
      headers["x-modelgate-token"] = "";
      authenticated = false;
      break;
    case "padded":
      headers["x-modelgate-token"] = ` ${sinkToken}x`;
      authenticated = false;
  }
  const text = doc ? JSON.stringify(doc) : event.body;
  return { request: { method: "POST", headers, body: Buffer.from(text) }, authenticated };
}

describe("tektonEvents under hostile CloudEvents", () => {
  it("never answers 5xx, never publishes without the token, never publishes a broken message", async () => {
    const d = deps();
    // A real manifest for the fixture's commit, so well-formed events can publish artifact-ready.
    await d.blobs.write(
      manifestPath("fraud-detector", "3f2c1a9"),
      JSON.stringify(testManifest({ model: "fraud-detector", commit, repository: "acme/fraud-detector" })),
    );
    // …and githubWebhook's note that the commit was pushed to the model's branch.
    await recordBranchPush(d.blobs, {
      model: "fraud-detector",
      commit,
      ref: "refs/heads/main",
      deliveryId: "fuzz-push",
      recordedAt: "2024-06-11T09:00:00.000Z",
    });
    const handler = createTektonEventsHandler({ ...d, tokens: [sinkToken] });
    const heapBefore = heapMb();
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(tektonCase, async (c) => {
        tried.tektonEvents = (tried.tektonEvents ?? 0) + 1;
        const { request, authenticated } = tektonRequest(c as TektonCase);
        const before = d.publisher.published.length;
        const response = await handler(request);
        expect(response.statusCode).toBeLessThan(500);
        const published = d.publisher.published.length - before;
        if (!authenticated) {
          expect(published).toBe(0);
          expect(response.statusCode).toBeGreaterThanOrEqual(400);
        }
        if (published > 0) accepted += 1;
      }),
      { numRuns: runs },
    );
    expectContracts(d.publisher, Object.keys(d.config.models));
    expect(heapMb() - heapBefore).toBeLessThan(256);
    tried.tektonAccepted = accepted;
  });
});

// ——— artifactUploaded ———

const canonical = manifestPath("fraud-detector", "3f2c1a9");
const objectName = fc.oneof(
  fc.constant(canonical),
  fc.constantFrom(
    "models/fraud-detector/../fraud-detector/3f2c1a9/modelgate.json",
    "models/fraud-detector/3f2c1a9/../3f2c1a9/modelgate.json",
    "models/../models/fraud-detector/3f2c1a9/modelgate.json",
    "./models/fraud-detector/3f2c1a9/modelgate.json",
    "/models/fraud-detector/3f2c1a9/modelgate.json",
    "models//fraud-detector/3f2c1a9/modelgate.json",
    "models/fraud-detector/3f2c1a9//modelgate.json",
    "models/fraud-detector/3f2c1a9/modelgate.json/",
    "models/fraud-detector/3f2c1a9/MODELGATE.json",
    "models/Fraud-Detector/3f2c1a9/modelgate.json",
    "models/fraud‐detector/3f2c1a9/modelgate.json", // a Unicode hyphen
    "models/fraud-detector/3f2c1a9/modelgate.json\u0000",
    "models/fraud-detector/3f2c1a9/modelgate.json%00",
    "models%2Ffraud-detector%2F3f2c1a9%2Fmodelgate.json",
    "ledger/fraud-detector/3f2c1a9/modelgate.json",
    "idempotency/artifactUploaded/x",
    "datasets/fraud-detector/train.jsonl",
    "models/unknown-model/3f2c1a9/modelgate.json",
    "models/__proto__/3f2c1a9/modelgate.json",
    "models/churn/3f2c1a9/modelgate.json",
    "",
  ),
  fc.string({ unit: "grapheme", maxLength: 60 }).map((s) => `models/fraud-detector/${s}/modelgate.json`),
  fc.string({ minLength: 1025, maxLength: 3000 }).map((s) => `models/fraud-detector/${s}/modelgate.json`),
  fc.string(),
);

const storageCase = fc.record({
  name: objectName,
  bucket: fc.constantFrom(
    "modelgate-artifacts",
    "modelgate-artifacts",
    "other-bucket",
    "",
    "MODELGATE-ARTIFACTS",
  ),
  generation: fc.oneof(
    fc.constant("real"),
    fc.constantFrom("0", "-1", "1e400", "abc", "", "9".repeat(40)),
    fc.integer(),
  ),
  type: fc.constantFrom(
    "google.cloud.storage.object.v1.finalized",
    "google.cloud.storage.object.v1.finalized",
    "google.cloud.storage.object.v1.deleted",
    "",
  ),
  drop: fc.subarray(["name", "bucket", "generation", "data", "id", "subject", "source"]),
  dataMutations: fc.array(mutation, { maxLength: 2 }),
});

describe("artifactUploaded under odd storage events", () => {
  it("never throws, and publishes only for the real manifest at its exact path in the artifact bucket", async () => {
    const d = deps();
    const written = await d.blobs.write(
      canonical,
      JSON.stringify(testManifest({ model: "fraud-detector", commit, repository: "acme/fraud-detector" })),
    );
    if (!written.written) throw new Error("manifest not written");
    const handler = createArtifactUploadedHandler(d);
    const heapBefore = heapMb();
    await fc.assert(
      fc.asyncProperty(storageCase, async (c) => {
        tried.artifactUploaded = (tried.artifactUploaded ?? 0) + 1;
        const generation = c.generation === "real" ? written.generation : c.generation;
        let data: Json = {
          ...ownJson<Record<string, Json>>("gcs/finalized-manifest.json"),
          name: c.name,
          bucket: c.bucket,
          generation: generation as Json,
        };
        data = mutate(data, c.dataMutations);
        const event: Record<string, unknown> = {
          specversion: "1.0",
          id: "11473617497342612",
          source: `//storage.googleapis.com/projects/_/buckets/${c.bucket}`,
          type: c.type,
          subject: `objects/${c.name}`,
          time: "2024-06-11T09:50:12.351762Z",
          bucket: c.bucket,
          data,
        };
        for (const key of c.drop) {
          if (key === "id" || key === "subject" || key === "data" || key === "source") delete event[key];
          else if (data && typeof data === "object" && !Array.isArray(data))
            delete (data as Record<string, Json>)[key];
        }
        const before = d.publisher.published.length;
        // A throw is a 5xx to Eventarc: only a real internal fault may cause one, and there is none here.
        await handler(event as unknown as CloudEvent<unknown>);
        const published = d.publisher.published.slice(before);
        for (const p of published) {
          expect(p.topic).toBe("artifact-ready");
          const dataObj = data as Record<string, unknown>;
          expect(dataObj.name).toBe(canonical);
          expect(dataObj.bucket).toBe("modelgate-artifacts");
          // The commit of the path (here abbreviated), which the manifest's full commit must extend.
          expect(commit.startsWith((p.message as { commit: string }).commit)).toBe(true);
        }
      }),
      { numRuns: runs },
    );
    expectContracts(d.publisher, Object.keys(d.config.models));
    // Exactly once per object generation, however many events named it.
    expect(d.publisher.published.length).toBeLessThanOrEqual(1);
    expect(heapMb() - heapBefore).toBeLessThan(256);
  });
});

// ——— the transport: compressed bodies, streams without Content-Length, header abuse ———
// Through the Functions Framework's real HTTP server, with the body guard in front (shared/ingress/body-guard.ts).
// The limit is small here (64 KB) so a case costs little; the guard treats every limit alike.

const transportLimit = 64 * 1024;
const transportRuns = Math.max(20, Math.ceil(runs / 10));
const transportDeps = deps();
http(
  "githubWebhookFuzz",
  serveIngress(
    "githubWebhookFuzz",
    { maxBodyBytes: transportLimit },
    createGithubWebhookHandler({ ...transportDeps, secrets: [secret] }),
  ),
);
let transport: ServedFunction;
beforeAll(async () => {
  transport = await serveFunction("githubWebhookFuzz");
});
afterAll(async () => {
  await transport?.close();
});

/** A push GitHub would send, signed, with a fresh delivery id (each one publishes once). */
function signedPush(): { body: Buffer; headers: Record<string, string> } {
  const body = Buffer.from(JSON.stringify(githubBases[0]));
  return {
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": sign(secret, body),
    },
  };
}

const compress = {
  gzip: (b: Buffer) => gzipSync(b),
  deflate: (b: Buffer) => deflateSync(b),
  br: (b: Buffer) => brotliCompressSync(b),
  none: (b: Buffer) => b,
} as const;

describe("the ingress transport under hostile requests", () => {
  it("refuses every compressed body with 415, signed or not, and publishes nothing", async () => {
    const encoding = fc.oneof(
      fc.constantFrom(
        "gzip",
        "x-gzip",
        "deflate",
        "br",
        "compress",
        "zstd",
        "GZIP",
        "gzip, identity",
        " br ",
      ),
      fc.stringMatching(/^[A-Za-z0-9 ,;=-]{1,40}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        encoding.filter((e) => !["", "identity"].includes(e.trim().toLowerCase())),
        fc.constantFrom(...(Object.keys(compress) as Array<keyof typeof compress>)),
        fc.boolean(),
        async (contentEncoding, codec, chunked) => {
          tried.transportCompressed = (tried.transportCompressed ?? 0) + 1;
          const { body, headers } = signedPush();
          const bytes = compress[codec](body);
          const before = transportDeps.publisher.published.length;
          const answer = await rawPost(
            transport.url,
            {
              ...headers,
              "content-encoding": contentEncoding,
              ...(chunked ? {} : { "content-length": String(bytes.length) }),
            },
            [bytes],
          );
          expect(answer).toMatchObject({ status: 415, body: { status: "refused" } });
          expect(transportDeps.publisher.published.length).toBe(before);
        },
      ),
      { numRuns: transportRuns },
    );
  });

  it("answers a stream without Content-Length by its length: 413 past the limit, the handler's answer below", async () => {
    const heapBefore = heapMb();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 32 * 1024 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 255 }),
        async (sizes, fill) => {
          tried.transportStreams = (tried.transportStreams ?? 0) + 1;
          const total = sizes.reduce((a, b) => a + b, 0);
          const answer = await rawPost(
            transport.url,
            { ...signedPush().headers, "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
            sizes.map((size) => Buffer.alloc(size, fill)),
          );
          if (total > transportLimit) {
            expect(answer).toMatchObject({ status: 413, body: { status: "refused" } });
          } else {
            // Read whole, then refused by the handler: the signature is wrong.
            expect(answer).toMatchObject({ status: 401, ended: true });
          }
        },
      ),
      { numRuns: transportRuns },
    );
    expect(heapMb() - heapBefore).toBeLessThan(256);
  });

  it("accepts a signed delivery however it is cut into chunks", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 8 }), async (cuts) => {
        tried.transportChunkedSigned = (tried.transportChunkedSigned ?? 0) + 1;
        const { body, headers } = signedPush();
        const points = [...new Set(cuts.map((c) => c % body.length))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, i) => body.subarray(start, [...points, body.length][i]));
        const answer = await rawPost(
          transport.url,
          headers,
          chunks.filter((c) => c.length > 0),
        );
        expect(answer).toMatchObject({ status: 202, body: { status: "accepted" } });
      }),
      { numRuns: Math.ceil(transportRuns / 2) },
    );
    expectContracts(transportDeps.publisher, Object.keys(transportDeps.config.models));
  });

  it("logs no unvalidated header value and no caller's trace for a request it refuses", async () => {
    const hostileHeader = fc.oneof(
      fc.string({ minLength: 65, maxLength: 16 * 1024 }),
      fc.stringMatching(/^[ -~]{1,80}$/),
      fc.constantFrom(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "105445aa7843bc8bf206b12000100000/1;o=1",
        "push",
        randomUUID(),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          delivery: hostileHeader,
          event: hostileHeader,
          traceparent: hostileHeader,
          cloudTrace: hostileHeader,
          contentType: fc.oneof(hostileHeader, fc.constant("application/json")),
        }),
        async (h) => {
          tried.transportHeaders = (tried.transportHeaders ?? 0) + 1;
          const d = deps();
          const lines: Array<Record<string, unknown>> = [];
          const handler = createGithubWebhookHandler({
            ...d,
            secrets: [secret],
            logger: createLogger({}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
          });
          const body = Buffer.from(JSON.stringify(githubBases[0]));
          const response = await handler({
            method: "POST",
            headers: {
              "content-type": h.contentType,
              "x-github-delivery": h.delivery,
              "x-github-event": h.event,
              traceparent: h.traceparent,
              "x-cloud-trace-context": h.cloudTrace,
              "x-hub-signature-256": sign("not-the-secret", body),
            },
            body,
          });
          expect([400, 401, 415]).toContain(response.statusCode);
          expect(d.publisher.published).toEqual([]);
          const logged = JSON.stringify(lines);
          for (const value of Object.values(h)) {
            if (value.length > 64) expect(logged).not.toContain(JSON.stringify(value).slice(1, -1));
          }
          expect(lines.every((line) => line["logging.googleapis.com/trace"] === undefined)).toBe(true);
        },
      ),
      { numRuns: runs },
    );
  });
});
