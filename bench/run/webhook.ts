// Webhook throughput: githubWebhook under autocannon next to the bare framework and the I/O floor (githubWebhook's
// Cloud Storage and Pub/Sub calls alone), in alternating rounds.
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { FunctionName } from "../../shared/topology.js";
import type { BenchBundles } from "../build.js";
import { log, median, webhookRounds, webhookSeconds } from "./context.js";
import { startFunction } from "./processes.js";
import { githubPush, pushBody } from "./requests.js";
import type { Setup } from "./setup.js";

type LoadResult = Awaited<ReturnType<typeof autocannon>>;
type Target = "webhook" | "bare" | "ioFloor";

export interface LoadFigures {
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  total: number;
}

export type WebhookFigures = { seconds: number; rounds: number; connections: number } & Record<
  Target,
  LoadFigures
>;

const connections = 10;

function load(port: number, signed: boolean, seconds: number): Promise<LoadResult> {
  return autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections,
    duration: seconds,
    method: "POST",
    headers: githubPush().headers,
    body: pushBody,
    ...(signed
      ? {
          requests: [
            {
              method: "POST",
              setupRequest: (request) => ({
                ...request,
                headers: { ...request.headers, "x-github-delivery": randomUUID() },
              }),
            },
          ],
        }
      : {}),
  });
}

export async function webhookThroughput(setup: Setup, bundles: BenchBundles): Promise<WebhookFigures> {
  const webhookEnv = setup.env(FunctionName.githubWebhook);
  const [webhook, bare, floor] = await Promise.all([
    startFunction(bundles.functions.githubWebhook.dir, FunctionName.githubWebhook, webhookEnv),
    startFunction(bundles.bare.dir, "bare", setup.env("bare")),
    startFunction(bundles.ioFloor.dir, "ioFloor", webhookEnv),
  ]);
  try {
    // Warm all three (first clients, JIT), then alternate measured rounds.
    await load(webhook.fn.port, true, 1);
    await load(bare.fn.port, false, 1);
    await load(floor.fn.port, false, 1);
    const rounds: Record<Target, LoadResult>[] = [];
    for (let i = 0; i < webhookRounds; i++) {
      log(`webhook throughput round ${i + 1}/${webhookRounds}`);
      const w = await load(webhook.fn.port, true, webhookSeconds);
      const b = await load(bare.fn.port, false, webhookSeconds);
      const f = await load(floor.fn.port, false, webhookSeconds);
      rounds.push({ webhook: w, bare: b, ioFloor: f });
    }
    const pick = (key: Target): LoadFigures => ({
      requestsPerSecond: median(rounds.map((r) => r[key].requests.total / r[key].duration)),
      p99Ms: median(rounds.map((r) => r[key].latency.p99)),
      non2xx: rounds.reduce((n, r) => n + r[key].non2xx + r[key].errors, 0),
      total: rounds.reduce((n, r) => n + r[key].requests.total, 0),
    });
    return {
      seconds: webhookSeconds,
      rounds: webhookRounds,
      connections,
      webhook: pick("webhook"),
      bare: pick("bare"),
      ioFloor: pick("ioFloor"),
    };
  } finally {
    await Promise.all([webhook.fn.kill(), bare.fn.kill(), floor.fn.kill()]);
  }
}
