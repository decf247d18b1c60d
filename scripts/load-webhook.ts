// Loopback load test of githubWebhook: valid signed push deliveries at rising rates, through the real function in
// its own Functions Framework process, claiming in the local Cloud Storage server and publishing to the local
// Pub/Sub server. Reports throughput, p50/p99 latency and errors per rate, then checks that every accepted delivery
// was published exactly once (a share of the requests are redeliveries of an earlier delivery id).
//
//   tsx scripts/load-webhook.ts [--rates 25,50,100,200] [--seconds 5] [--duplicates 0.1]
//
// Only 127.0.0.1 is contacted; every step is bounded by its request count.
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { pushPayload } from "../cli/github-push.js";
import { stablePort } from "../local/free-port.js";
import { startFunctionProcess } from "../local/function-process.js";
import { startLocalServers } from "../local/servers.js";
import { loadConfig } from "../shared/config.js";
import { pubsubClientOptions } from "../shared/runtime.js";
import { loadSettings } from "../shared/settings.js";
import { trainingRequestedCommits } from "./training-requested-commits.js";

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
interface AutocannonRequest {
  method: string;
  setupRequest?: (request: Record<string, unknown>) => Record<string, unknown>;
  onResponse?: (status: number, body: string) => void;
}
type Autocannon = (
  options: Record<string, unknown> & { requests: AutocannonRequest[] },
) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

export interface LoadStep {
  rate: number;
  sent: number;
  throughput: number;
  p50: number;
  p99: number;
  errors: number;
  statuses: Record<string, number>;
}

export interface LoadReport {
  steps: LoadStep[];
  /** Distinct deliveries answered 202 at least once. */
  accepted: number;
  /** Requests that repeated an earlier delivery id. */
  redeliveries: number;
  published: number;
  /** Accepted deliveries with no message, and deliveries with more than one. */
  missing: string[];
  duplicated: string[];
  /** Messages for deliveries that were never answered 202. */
  unexpected: string[];
}

export interface LoadOptions {
  rates: number[];
  secondsPerRate: number;
  /** Share of requests that redeliver an earlier delivery (same id, same bytes). */
  duplicateShare: number;
  connections?: number;
  log?: (line: string) => void;
}

/** A delivery as GitHub sends it: its id, the bytes, and the signature over them. */
interface Delivery {
  id: string;
  commit: string;
  body: string;
  signature: string;
}

export async function runWebhookLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log ?? (() => undefined);
  // The Pub/Sub client in this process: no metadata server to probe on loopback.
  process.env.METADATA_SERVER_DETECTION ??= "none";
  const configPath = resolve("modelgate.config.yaml");
  const config = loadConfig({ MODELGATE_CONFIG: configPath });
  const secret = randomBytes(20).toString("hex");
  execFileSync(process.execPath, ["scripts/build-main.mjs"]);
  // No push endpoints: training-requested stays in its (pull) trigger subscription, where it is counted.
  const servers = await startLocalServers({ config, seed: false, topology: {} });
  const port = await stablePort();
  const fn = await startFunctionProcess({
    target: "githubWebhook",
    port,
    source: ".",
    env: {
      ...servers.env,
      MODELGATE_CONFIG: configPath,
      MODELGATE_IDENTITY: `mg-github-webhook@${config.project}.iam.gserviceaccount.com`,
      GITHUB_WEBHOOK_SECRET: secret,
    },
  });
  const deliveries: Delivery[] = [];
  const acceptedIds = new Set<string>();
  const newDelivery = (): Delivery => {
    const commit = randomBytes(20).toString("hex");
    const body = JSON.stringify(
      pushPayload({
        repository: "acme/fraud-detector",
        ref: "refs/heads/main",
        commit,
        modified: ["models/fraud-detector/train.py"],
      }),
    );
    const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    const delivery = { id: randomUUID(), commit, body, signature };
    deliveries.push(delivery);
    return delivery;
  };
  const report: LoadReport = {
    steps: [],
    accepted: 0,
    redeliveries: 0,
    published: 0,
    missing: [],
    duplicated: [],
    unexpected: [],
  };
  try {
    for (const rate of options.rates) {
      const amount = Math.max(1, Math.round(rate * options.secondsPerRate));
      // Which delivery each request carries, decided before sending so the response can be matched to it.
      const plan: Delivery[] = [];
      for (let i = 0; i < amount; i++) {
        const again = deliveries.length > 0 && Math.random() < options.duplicateShare;
        if (again) report.redeliveries += 1;
        plan.push(
          again ? (deliveries[Math.floor(Math.random() * deliveries.length)] as Delivery) : newDelivery(),
        );
      }
      let next = 0;
      const inFlight = new Map<unknown, Delivery>();
      const result = await autocannon({
        url: fn.url,
        connections: options.connections ?? 8,
        overallRate: rate,
        amount,
        timeout: 30,
        requests: [
          {
            method: "POST",
            setupRequest: (request) => {
              const delivery = plan[next++ % plan.length] as Delivery;
              const out = {
                ...request,
                method: "POST",
                path: "/",
                body: delivery.body,
                headers: {
                  "content-type": "application/json",
                  "user-agent": "GitHub-Hookshot/load",
                  "x-github-event": "push",
                  "x-github-delivery": delivery.id,
                  "x-hub-signature-256": delivery.signature,
                },
              };
              inFlight.set(delivery.id, delivery);
              return out;
            },
            onResponse: (status, body) => {
              if (status !== 202) return;
              try {
                const parsed = JSON.parse(body) as { published?: Array<{ commit: string }> };
                for (const p of parsed.published ?? []) {
                  const delivery = deliveries.find((d) => d.commit === p.commit);
                  if (delivery) acceptedIds.add(delivery.id);
                }
              } catch {
                // not JSON: counted as an error by the status check below
              }
            },
          },
        ],
      });
      const statuses = Object.fromEntries(
        Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]),
      );
      const step: LoadStep = {
        rate,
        sent: result.requests.total,
        throughput: Math.round((result.requests.total / Math.max(result.duration, 0.001)) * 10) / 10,
        p50: result.latency.p50,
        p99: result.latency.p99,
        errors: result.errors + result.timeouts,
        statuses,
      };
      report.steps.push(step);
      log(
        `rate ${rate}/s: ${step.sent} sent, ${step.throughput}/s, p50 ${step.p50} ms, p99 ${step.p99} ms, errors ${step.errors}, ${JSON.stringify(statuses)}`,
      );
    }

    // Every training-requested message, read from the trigger subscription until it stays quiet.
    const commits = await trainingRequestedCommits(
      pubsubClientOptions(loadSettings(servers.env), config.project),
    );
    const perCommit = new Map<string, number>();
    for (const commit of commits) perCommit.set(commit, (perCommit.get(commit) ?? 0) + 1);
    report.published += commits.length;

    report.accepted = acceptedIds.size;
    const byCommit = new Map(deliveries.map((d) => [d.commit, d]));
    for (const id of acceptedIds) {
      const delivery = deliveries.find((d) => d.id === id) as Delivery;
      const n = perCommit.get(delivery.commit) ?? 0;
      if (n === 0) report.missing.push(id);
      if (n > 1) report.duplicated.push(id);
    }
    for (const [commit, n] of perCommit) {
      const delivery = byCommit.get(commit);
      if (!delivery || !acceptedIds.has(delivery.id)) report.unexpected.push(`${commit} (${n}×)`);
      else if (n > 1 && !report.duplicated.includes(delivery.id)) report.duplicated.push(delivery.id);
    }
  } finally {
    await fn.stop();
    await servers.close();
  }
  return report;
}

export function formatLoadReport(report: LoadReport): string {
  const head = ["rate/s", "sent", "req/s", "p50 ms", "p99 ms", "errors", "statuses"];
  const rows = report.steps.map((s) => [
    String(s.rate),
    String(s.sent),
    String(s.throughput),
    String(s.p50),
    String(s.p99),
    String(s.errors),
    Object.entries(s.statuses)
      .map(([c, n]) => `${c}×${n}`)
      .join(" "),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i] ?? 0)).join("  ");
  return [
    line(head),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
    "",
    `accepted deliveries ${report.accepted}, redeliveries sent ${report.redeliveries}, training-requested published ${report.published}`,
    `exactly once: ${report.missing.length} missing, ${report.duplicated.length} duplicated, ${report.unexpected.length} unexpected`,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rates: { type: "string", default: "25,50,100,200" },
      seconds: { type: "string", default: "5" },
      duplicates: { type: "string", default: "0.1" },
      connections: { type: "string", default: "8" },
    },
  });
  const report = await runWebhookLoad({
    rates: values.rates.split(",").map(Number),
    secondsPerRate: Number(values.seconds),
    duplicateShare: Number(values.duplicates),
    connections: Number(values.connections),
    log: (line) => console.log(`  · ${line}`),
  });
  console.log(formatLoadReport(report));
  const clean = report.missing.length + report.duplicated.length + report.unexpected.length === 0;
  process.exit(clean ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
