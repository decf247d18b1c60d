// One size of the "models per push" benchmark, in its own process (githubWebhook reads its configuration once per
// instance, as on Cloud Run): a configuration of N models in one repository, one signed push touching all of them.
// Prints one JSON line: githubWebhook's answer time and the time until a subscriber has all N training requests.
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FunctionName, Topic } from "../../shared/topology.js";
import { githubHeaders, webhookSecret } from "../../test/support/ingress-github.js";
import { send, serveFunction } from "../../test/support/ingress-http.js";
import { startIngressStack } from "../../test/support/ingress-stack.js";
import { load1 } from "./machine.js";

const models = Number(process.argv[2]);
const pushes = Number(process.argv[3] ?? 3);
if (!Number.isInteger(models) || models < 1)
  throw new Error(`usage: webhook-push.ts <models> [pushes], got ${process.argv[2]}`);

const name = (i: number) => `m${String(i).padStart(3, "0")}`;
const configYaml = `
project: local-project
region: us-central1
bucket: modelgate-artifacts
github:
  repositories: [acme/mono]
tekton:
  namespaces: [ml-ci]
models:
${Array.from(
  { length: models },
  (_, i) => `  ${name(i)}:
    repository: acme/mono
    branch: main
    paths: ["models/${name(i)}/**"]
    training: { container: "us-docker.pkg.dev/local-project/modelgate/trainer:1" }
    serving: { container: "us-docker.pkg.dev/local-project/modelgate/serving:1" }
    endpoint: ${name(i)}
    promotion: { promoters: [grace] }
    verification: { goldenSet: golden/${name(i)}/golden.jsonl }
`,
).join("")}`;

interface PushPayload {
  after: string;
  repository: Record<string, unknown>;
  commits: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

const base = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../test/fixtures/github/push-main.json"), "utf8"),
) as PushPayload;

/** A push to acme/mono's main whose one commit modifies a file under every model's path. */
function pushTouchingAll(): string {
  const sha = randomBytes(20).toString("hex");
  const commit = {
    ...base.commits[0],
    id: sha,
    message: "Retrain every model",
    added: [],
    removed: [],
    modified: Array.from({ length: models }, (_, i) => `models/${name(i)}/train.py`),
  };
  return JSON.stringify({
    ...base,
    before: base.after,
    after: sha,
    repository: { ...base.repository, name: "mono", full_name: "acme/mono" },
    commits: [commit],
    head_commit: commit,
  });
}

const stack = await startIngressStack({
  configYaml,
  bucket: "modelgate-artifacts",
  topics: [Topic.trainingRequested, Topic.deploymentRequested],
});
for (const [key, value] of Object.entries(stack.env)) process.env[key] = value;
process.env.GITHUB_WEBHOOK_SECRET = webhookSecret;
await import("../../functions/github-webhook/index.js");
const fn = await serveFunction(FunctionName.githubWebhook);

const runs: Array<{ answerMs: number; allPublishedMs: number; status: number; load: string }> = [];
try {
  for (let i = 0; i < pushes; i++) {
    const body = pushTouchingAll();
    const headers = await githubHeaders(body, { delivery: randomUUID() });
    const started = performance.now();
    const answer = await send(fn.url, { headers, body });
    const answerMs = performance.now() - started;
    if (answer.status >= 300)
      throw new Error(`githubWebhook answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const published = await stack.pull(Topic.trainingRequested, models);
    const allPublishedMs = performance.now() - started;
    if (published.length !== models)
      throw new Error(`expected ${models} training requests, got ${published.length}`);
    runs.push({ answerMs, allPublishedMs, status: answer.status, load: load1() });
  }
} finally {
  await fn.close();
  await stack.close();
}
process.stdout.write(`${JSON.stringify({ models, runs })}\n`);
process.exit(0);
