// Loopback hostile-traffic run against githubWebhook, tektonEvents and fluxEvents, each in its own Functions Framework process
// (started as Cloud Functions starts them: `functions-framework --target`), against the local Cloud Storage and
// Pub/Sub servers. For `--seconds`, attackers send gzip/deflate bombs, bodies over the limit with and without
// Content-Length, unauthenticated bodies just under the limit (a `[{},{},…]` array bomb), and 8 KB header values,
// while valid signed pushes, authenticated Tekton events and signed Flux events arrive alongside. Reports each function's peak RSS
// (VmHWM), its RSS over the run, the answers by status, and checks that every valid delivery got its message
// (training-requested) or ledger record (a failed PipelineRun; a Flux event's releases-requested), exactly as many
// as were sent.
//
//   tsx scripts/hostile-traffic.ts [--seconds 20] [--attackers 6] [--valid-rate 5]
//
// Only 127.0.0.1 is contacted; every sender is bounded by the run's time and stops by itself.
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createGzip, deflateSync } from "node:zlib";
import { Storage } from "@google-cloud/storage";
import { pushPayload } from "../cli/github-push.js";
import { stablePort } from "../local/free-port.js";
import { type FunctionProcess, startFunctionProcess } from "../local/function-process.js";
import { startLocalServers } from "../local/servers.js";
import { loadConfig } from "../shared/config.js";
import { GcsBlobStore } from "../shared/gcs-blob-store.js";
import { BucketLedger } from "../shared/ledger.js";
import { pubsubClientOptions, storageClientOptions } from "../shared/runtime.js";
import { loadSettings } from "../shared/settings.js";
import { trainingRequestedCommits } from "./training-requested-commits.js";

const mb = 1024 * 1024;

export interface HostileOptions {
  seconds: number;
  /** Concurrent attackers per function. */
  attackers: number;
  /** Valid deliveries per second per function. */
  validRate: number;
  log?: (line: string) => void;
}

export interface FunctionFigures {
  name: string;
  rssStartMb: number;
  rssPeakMb: number;
  rssEndMb: number;
  /** Answers to attack requests by status ("error" when the connection failed before an answer). */
  attacks: Record<string, number>;
  /** Longest time to the answer per attack and status, ms. */
  attackMaxMs: Record<string, number>;
  /** Answers to valid requests by status. */
  valid: Record<string, number>;
  validSent: number;
  /** Valid deliveries whose message or ledger record is there. */
  validLanded: number;
  /** Longest answer to a valid request while attacks arrived, ms. */
  validMaxMs: number;
}

interface Attack {
  name: string;
  send(url: string): Promise<string>;
}

/** One POST; resolves with the status once answered (or "error"), whatever is left of the body unsent. */
function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer | ((write: (chunk: Buffer) => Promise<boolean>) => Promise<void>),
): Promise<string> {
  return new Promise((done) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let answered = false;
    const finish = (status: string) => {
      if (answered) return;
      answered = true;
      req.destroy();
      agent.destroy();
      done(status);
    };
    const req = request(url, { method: "POST", headers, agent });
    req.setTimeout(30_000, () => finish("timeout"));
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => finish(String(res.statusCode)));
    });
    req.on("error", () => finish("error"));
    if (Buffer.isBuffer(body)) {
      req.end(body);
      return;
    }
    const write = (chunk: Buffer) =>
      new Promise<boolean>((next) => {
        if (answered || req.destroyed) return next(false);
        if (req.write(chunk)) return next(true);
        const onDrain = () => {
          clearTimeout(timer);
          next(!answered);
        };
        const timer = setTimeout(() => {
          req.off("drain", onDrain);
          next(!answered);
        }, 200);
        req.once("drain", onDrain);
      });
    void body(write).then(() => {
      if (!answered && !req.destroyed) req.end();
    });
  });
}

/** A gzip stream of `inflatedMb` MB of zeros (about 1 KB per MB), built once. */
async function gzipBomb(inflatedMb: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on("data", (part: Buffer) => parts.push(part));
  const zeros = Buffer.alloc(mb);
  for (let i = 0; i < inflatedMb; i++) {
    if (!gzip.write(zeros)) await new Promise((next) => gzip.once("drain", next));
  }
  await new Promise<void>((next) => gzip.end(next));
  return Buffer.concat(parts);
}

function attacks(limit: number, headers: () => Record<string, string>, bomb: Buffer): Attack[] {
  const json = { "content-type": "application/json" };
  const arrayBomb = Buffer.from(`[${"{},".repeat(Math.floor((limit - 1024) / 3))}{}]`);
  const deflated = deflateSync(Buffer.alloc(64 * mb));
  const streamOf = (totalMb: number) => async (write: (chunk: Buffer) => Promise<boolean>) => {
    const chunk = Buffer.alloc(mb, 0x20);
    for (let i = 0; i < totalMb; i++) if (!(await write(chunk))) return;
  };
  return [
    {
      name: `gzip bomb (${bomb.length} bytes → 314 MB)`,
      send: (url) => post(url, { ...json, ...headers(), "content-encoding": "gzip" }, bomb),
    },
    {
      name: "deflate bomb (64 MB)",
      send: (url) => post(url, { ...json, ...headers(), "content-encoding": "deflate" }, deflated),
    },
    {
      name: `array bomb just under the limit (${Math.round(arrayBomb.length / mb)} MB, unauthenticated)`,
      send: (url) => post(url, { ...json, ...headers() }, arrayBomb),
    },
    {
      name: "Content-Length over the limit",
      send: (url) =>
        post(url, { ...json, ...headers(), "content-length": String(limit + 1) }, streamOf(limit / mb + 1)),
    },
    {
      name: "chunked stream of 100 MB (no Content-Length)",
      send: (url) => post(url, { ...json, ...headers() }, streamOf(100)),
    },
    {
      name: "8 KB header values",
      send: (url) =>
        post(
          url,
          {
            ...json,
            ...headers(),
            "x-github-delivery": "d".repeat(8 * 1024),
            "x-github-event": "e".repeat(4 * 1024),
            traceparent: "t".repeat(2 * 1024),
          },
          Buffer.from("{}"),
        ),
    },
  ];
}

/** VmRSS and VmHWM (peak) of a process, in MB, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

function count(into: Record<string, number>, status: string): void {
  into[status] = (into[status] ?? 0) + 1;
}

export async function runHostileTraffic(options: HostileOptions): Promise<FunctionFigures[]> {
  const log = options.log ?? (() => undefined);
  process.env.METADATA_SERVER_DETECTION ??= "none";
  const configPath = resolve("modelgate.config.yaml");
  const config = loadConfig({ MODELGATE_CONFIG: configPath });
  const secret = randomBytes(20).toString("hex");
  const token = randomBytes(20).toString("hex");
  const fluxKey = randomBytes(20).toString("hex");
  execFileSync(process.execPath, ["scripts/build-main.mjs"]);
  const servers = await startLocalServers({ config, seed: false, topology: {} });
  const env = { ...servers.env, MODELGATE_CONFIG: configPath };
  const taken = new Set<number>();
  const start = async (target: string, extra: Record<string, string>): Promise<FunctionProcess> => {
    const port = await stablePort(taken);
    taken.add(port);
    return startFunctionProcess({ target, port, source: ".", env: { ...env, ...extra } });
  };
  const github = await start("githubWebhook", {
    MODELGATE_IDENTITY: `mg-github-webhook@${config.project}.iam.gserviceaccount.com`,
    GITHUB_WEBHOOK_SECRET: secret,
  });
  const tekton = await start("tektonEvents", {
    MODELGATE_IDENTITY: `mg-tekton-events@${config.project}.iam.gserviceaccount.com`,
    TEKTON_SINK_TOKEN: token,
  });
  const flux = await start("fluxEvents", {
    MODELGATE_IDENTITY: `mg-flux-events@${config.project}.iam.gserviceaccount.com`,
    FLUX_WEBHOOK_SECRET: fluxKey,
  });
  log(
    `githubWebhook pid ${github.child.pid}, tektonEvents pid ${tekton.child.pid}, fluxEvents pid ${flux.child.pid}; building the bombs`,
  );
  const bomb = await gzipBomb(314);

  const failedRun = JSON.parse(readFileSync("test/fixtures/tekton/pipelinerun-failed.json", "utf8")) as {
    pipelineRun: { metadata: { name: string; namespace: string } };
  };
  const runSource = `/apis/tekton.dev/v1/namespaces/${failedRun.pipelineRun.metadata.namespace}/pipelineruns/${failedRun.pipelineRun.metadata.name}`;
  const tektonHeaders = (id: string, withToken: boolean): Record<string, string> => ({
    "ce-specversion": "1.0",
    "ce-id": id,
    "ce-source": runSource,
    "ce-type": "dev.tekton.event.pipelinerun.failed.v1",
    ...(withToken ? { "x-modelgate-token": token } : {}),
  });
  const strangerGithubHeaders = () => ({
    "x-github-event": "push",
    "x-github-delivery": randomUUID(),
    "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
  });

  // fluxEvents: a stranger's "signature" is well-formed and wrong; a valid event is a fresh revision of the
  // configured Kustomization, signed as notification-controller signs it.
  const fluxObject = config.flux.objects[0];
  const strangerFluxHeaders = () => ({ "x-signature": `sha256=${"0".repeat(64)}` });
  const sentRevisions: string[] = [];
  const figures = new Map<string, FunctionFigures>();
  const sentCommits: string[] = [];
  const sentEvents: string[] = [];
  const targets = [
    {
      fn: github,
      name: "githubWebhook",
      attacks: attacks(25 * mb, strangerGithubHeaders, bomb),
      valid: () => {
        const commit = randomBytes(20).toString("hex");
        sentCommits.push(commit);
        const body = Buffer.from(
          JSON.stringify(
            pushPayload({
              repository: "acme/fraud-detector",
              ref: "refs/heads/main",
              commit,
              modified: ["models/fraud-detector/train.py"],
            }),
          ),
        );
        return post(
          github.url,
          {
            "content-type": "application/json",
            "x-github-event": "push",
            "x-github-delivery": randomUUID(),
            "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
          },
          body,
        );
      },
    },
    {
      fn: tekton,
      name: "tektonEvents",
      attacks: attacks(16 * mb, () => tektonHeaders(randomUUID(), false), bomb),
      valid: () => {
        const id = randomUUID();
        sentEvents.push(id);
        return post(
          tekton.url,
          { "content-type": "application/json", ...tektonHeaders(id, true) },
          Buffer.from(JSON.stringify(failedRun)),
        );
      },
    },
    ...(fluxObject === undefined
      ? []
      : [
          {
            fn: flux,
            name: "fluxEvents",
            attacks: attacks(256 * 1024, strangerFluxHeaders, bomb),
            valid: () => {
              const commit = randomBytes(20).toString("hex");
              sentRevisions.push(commit);
              const body = Buffer.from(
                JSON.stringify({
                  involvedObject: {
                    kind: fluxObject.kind,
                    namespace: fluxObject.namespace,
                    name: fluxObject.name,
                  },
                  severity: "info",
                  timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
                  message: "Reconciliation finished in 1s, next run in 10m0s",
                  reason: "ReconciliationSucceeded",
                  metadata: { revision: `main@sha1:${commit}` },
                  reportingController: "kustomize-controller",
                }),
              );
              const signature = `sha256=${createHmac("sha256", fluxKey).update(body).digest("hex")}`;
              return post(flux.url, { "content-type": "application/json", "x-signature": signature }, body);
            },
          },
        ]),
  ];

  try {
    const deadline = Date.now() + options.seconds * 1000;
    const rssSamples = new Map<string, number[]>();
    for (const t of targets) {
      const memory = memoryOf(t.fn.child.pid as number);
      rssSamples.set(t.name, [memory.rss]);
      figures.set(t.name, {
        name: t.name,
        rssStartMb: memory.rss,
        rssPeakMb: 0,
        rssEndMb: 0,
        attacks: {},
        attackMaxMs: {},
        valid: {},
        validSent: 0,
        validLanded: 0,
        validMaxMs: 0,
      });
    }
    const sampler = setInterval(() => {
      for (const t of targets) rssSamples.get(t.name)?.push(memoryOf(t.fn.child.pid as number).rss);
    }, 250);
    const attackers = targets.flatMap((t) =>
      Array.from({ length: options.attackers }, async (_, i) => {
        const f = figures.get(t.name) as FunctionFigures;
        for (let n = i; Date.now() < deadline; n++) {
          const attack = t.attacks[n % t.attacks.length] as Attack;
          const began = Date.now();
          const status = await attack.send(t.fn.url);
          count(f.attacks, `${attack.name}: ${status}`);
          const key = `${attack.name}: ${status}`;
          f.attackMaxMs[key] = Math.max(f.attackMaxMs[key] ?? 0, Date.now() - began);
        }
      }),
    );
    const validSenders = targets.map(async (t) => {
      const f = figures.get(t.name) as FunctionFigures;
      const pending: Array<Promise<void>> = [];
      while (Date.now() < deadline) {
        const began = Date.now();
        f.validSent += 1;
        pending.push(
          t.valid().then((status) => {
            count(f.valid, status);
            f.validMaxMs = Math.max(f.validMaxMs, Date.now() - began);
          }),
        );
        await new Promise((next) => setTimeout(next, 1000 / options.validRate));
      }
      await Promise.all(pending);
    });
    await Promise.all([...attackers, ...validSenders]);
    clearInterval(sampler);
    for (const t of targets) {
      const f = figures.get(t.name) as FunctionFigures;
      const memory = memoryOf(t.fn.child.pid as number);
      f.rssEndMb = memory.rss;
      f.rssPeakMb = memory.peak;
      const samples = rssSamples.get(t.name) ?? [];
      log(`${t.name} RSS samples (MB): max ${Math.round(Math.max(...samples))}, ${samples.length} samples`);
    }

    // githubWebhook: one training-requested per valid push, read from the trigger subscription.
    const landed = new Set(
      await trainingRequestedCommits(pubsubClientOptions(loadSettings(servers.env), config.project)),
    );
    (figures.get("githubWebhook") as FunctionFigures).validLanded = sentCommits.filter((c) =>
      landed.has(c),
    ).length;

    // tektonEvents: one ledger record per valid failed-run event.
    const ledger = new BucketLedger(
      new GcsBlobStore(
        new Storage(storageClientOptions(loadSettings(servers.env), config.project)),
        config.bucket,
      ),
    );
    const records = await ledger.read("fraud-detector");
    const recorded = new Set(records.filter((r) => r.step === "tektonEvents").map((r) => r.correlationId));
    (figures.get("tektonEvents") as FunctionFigures).validLanded = sentEvents.filter((id) =>
      recorded.has(id),
    ).length;
    // fluxEvents: one releases-requested record per valid event, at its revision's commit.
    const requested = new Set(records.filter((r) => r.step === "fluxEvents").map((r) => r.commit));
    const fluxFigures = figures.get("fluxEvents");
    if (fluxFigures) fluxFigures.validLanded = sentRevisions.filter((c) => requested.has(c)).length;
  } finally {
    await github.stop();
    await tekton.stop();
    await flux.stop();
    await servers.close();
  }
  return [...figures.values()];
}

export function formatHostileReport(figures: FunctionFigures[]): string {
  const lines: string[] = [];
  for (const f of figures) {
    lines.push(
      `${f.name}: RSS ${Math.round(f.rssStartMb)} MB at start, peak ${Math.round(f.rssPeakMb)} MB, ${Math.round(f.rssEndMb)} MB at the end`,
      `  valid: ${f.validSent} sent, ${f.validLanded} landed (message or ledger record), answers ${JSON.stringify(f.valid)}, slowest ${f.validMaxMs} ms`,
      ...Object.entries(f.attacks)
        .sort()
        .map(([what, n]) => `  attack ${what} ×${n}, slowest ${f.attackMaxMs[what]} ms`),
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "20" },
      attackers: { type: "string", default: "6" },
      "valid-rate": { type: "string", default: "5" },
    },
  });
  const figures = await runHostileTraffic({
    seconds: Number(values.seconds),
    attackers: Number(values.attackers),
    validRate: Number(values["valid-rate"]),
    log: (line) => console.log(`  · ${line}`),
  });
  console.log(formatHostileReport(figures));
  const lost = figures.some((f) => f.validLanded !== f.validSent);
  process.exit(lost ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
