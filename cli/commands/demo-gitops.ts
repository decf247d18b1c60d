import { createHmac } from "node:crypto";
import { buildExampleObjects, EXAMPLE_OBJECTS } from "../../examples/fraud-detector/seed-data.js";
import { type Config, endpointName, findModelConfig, vertexParent } from "../../shared/config.js";
import { endsChain } from "../../shared/ledger-actions.js";
import { Label } from "../../shared/model-ports.js";
import { type AppliedRelease, readAppliedRelease } from "../../shared/releases/applied-release.js";
import { Secret } from "../../shared/topology.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { readStackFile, type StackFile } from "../cli-env.js";
import { type CliContext, cliContext, cliVertexLocation } from "../cli-runtime.js";
import type { CliIO, Command } from "../command.js";
import { followChain } from "../follow-chain.js";
import { deliverGithubEvent, pushPayload, seedLocalGithubCommit } from "../github-push.js";
import { runCli } from "../main.js";
import { demoCommit } from "./demo-github.js";

const model = "fraud-detector";
/** The DeployedModel id the demo's hand-made traffic change deploys under (not one modelgate derives). */
const byHandId = "1234567890";

/** One demo run: the stack, the CLI context, the clients, and where the model lives. */
interface Demo {
  stack: StackFile;
  context: CliContext;
  io: CliIO;
  repository: string;
  branch: string;
  endpoints: VertexEndpointDeployer;
  registry: VertexModelRegistry;
  timeoutMs: number;
}

export const demoGitops: Command = {
  path: ["demo", "gitops"],
  summary:
    "against the running stack: a release declared and applied, a traffic change by hand repaired, a Flux event applying the next",
  usage:
    "usage: modelgate demo gitops [--timeout SECONDS]\n\n  Needs `npm start` running in another terminal.",
  options: { timeout: { type: "string" } },
  async run({ values }, io) {
    const stack = readStackFile(io.env);
    if (!stack?.urls.githubWebhook || !stack.urls.fluxEvents || !stack.env.MODELGATE_GITHUB_API_URL) {
      io.err(
        "no running modelgate stack found: start it with `npm start` in another terminal, then run the demo.\n",
      );
      return 2;
    }
    const context = cliContext(io.env);
    const settings = findModelConfig(context.config, model);
    const problem = !settings
      ? `the demo needs the example model "${model}" in the configuration`
      : !context.config.github.app
        ? "the demo needs github.app in the configuration (the App applyReleases reads releases files as)"
        : !fluxObject(context.config)
          ? `the demo needs a flux object for ${settings.repository} in the configuration`
          : null;
    if (problem || !settings) {
      io.err(`${problem}\n`);
      return 2;
    }
    const location = cliVertexLocation(context);
    const demo: Demo = {
      stack,
      context,
      io,
      repository: settings.repository,
      branch: settings.branch ?? "main",
      endpoints: new VertexEndpointDeployer(location),
      registry: new VertexModelRegistry(location),
      timeoutMs: Number(values.timeout ?? 180) * 1000,
    };
    try {
      return (await runStages(demo, settings.releases.drift)) ? 0 : 1;
    } finally {
      await Promise.allSettled([demo.endpoints.close(), demo.registry.close()]);
    }
  },
};

async function runStages(demo: Demo, drift: "report" | "repair"): Promise<boolean> {
  const { io } = demo;
  io.out("\n▶ 0. two commits trained, registered and rolled out (pushes to the model's branch)\n");
  const first = await trainCommit(demo);
  const second = await trainCommit(demo);
  if (!first || !second) return false;

  io.out(`\n▶ 1. a release declared: ${demo.repository}'s releases file names ${short(second)}, pushed\n`);
  const declaredBy = await declare(demo, second);
  const push = pushPayload({
    repository: demo.repository,
    ref: `refs/heads/${demo.branch}`,
    commit: declaredBy,
    modified: [demo.context.config.github.releasesFile],
  });
  const reply = await deliverGithubEvent(
    demo.stack.urls.githubWebhook ?? "",
    secretOf(demo, Secret.githubWebhookSecret),
    "push",
    push,
  );
  io.out(`  githubWebhook answered ${reply.status}\n`);
  if (!(await applied(demo, second))) return false;

  io.out(
    `\n▶ 2. 30 % of the traffic moved by hand to ${short(first)}'s version (Vertex AI client, outside modelgate)\n`,
  );
  await moveTrafficByHand(demo, first, second);
  const reconcile = await cli(demo, ["reconcile"]);
  if (drift === "repair") {
    if (!(await repaired(demo, second))) return false;
    await cli(demo, ["reconcile"]);
  } else {
    io.out(
      `  ${model} is configured releases.drift: report, so the drift is only reported; set releases: { drift: repair } to have it repaired\n`,
    );
  }
  await cli(demo, ["releases", "status", model]);

  io.out(
    `\n▶ 3. the next release (${short(first)}) committed; Flux reports the Kustomization reconciled at that commit\n`,
  );
  const next = await declare(demo, first);
  const flux = await sendFluxEvent(demo, next);
  io.out(`  fluxEvents answered ${flux.status}\n`);
  const done = (await applied(demo, first)) && reconcile !== 3;
  await cli(demo, ["releases", "status", model]);
  io.out(`\nSee the whole story: npx modelgate lineage ${model}\n`);
  return done;
}

/** Pushes a commit touching the model (normal data), follows its chain to the end; its SHA, or null. */
async function trainCommit(demo: Demo): Promise<string | null> {
  const { context, io } = demo;
  const normal = buildExampleObjects().find((o) => o.name === EXAMPLE_OBJECTS.train)?.contents ?? "";
  await context.blobs.write(EXAMPLE_OBJECTS.train, normal, { contentType: "application/x-ndjson" });
  // On the local GitHub, as a pushed commit is: its training, verification and deployment statuses are set there.
  const commit = await demoCommit(demo.stack.env.MODELGATE_GITHUB_API_URL, demo.repository, "a retrain");
  const touched = findModelConfig(context.config, model)?.paths[0]?.replace(/\*+.*$/, "") ?? "";
  const payload = pushPayload({
    repository: demo.repository,
    ref: `refs/heads/${demo.branch}`,
    commit,
    modified: [`${touched}train.py`],
  });
  await deliverGithubEvent(
    demo.stack.urls.githubWebhook ?? "",
    secretOf(demo, Secret.githubWebhookSecret),
    "push",
    payload,
  );
  const outcome = await followChain(context.ledger, model, commit, { timeoutMs: demo.timeoutMs });
  const end = outcome.entries.find(endsChain);
  io.out(`  ${short(commit)}: ${end ? `${end.step} ${end.action}` : "did not finish in time"}\n`);
  return outcome.finished ? commit : null;
}

/** A commit of the releases file naming `commit`, merged through an approved pull request on the local GitHub. */
function declare(demo: Demo, commit: string): Promise<string> {
  return seedLocalGithubCommit(demo.stack.env.MODELGATE_GITHUB_API_URL ?? "", demo.repository, {
    files: { [demo.context.config.github.releasesFile]: `releases:\n  ${model}:\n    commit: "${commit}"\n` },
    branch: demo.branch,
    approvers: ["modelgate-demo-reviewer"],
  });
}

/** Waits for the applied state to say `commit` serves (or failed); prints it. */
async function applied(demo: Demo, commit: string): Promise<boolean> {
  const deadline = Date.now() + demo.timeoutMs;
  let state: AppliedRelease | undefined;
  while (Date.now() < deadline) {
    state = (await readAppliedRelease(demo.context.blobs, model))?.applied;
    if (state?.release.commit === commit && state.state !== "requested") break;
    await new Promise((done) => setTimeout(done, 500));
  }
  const reached = state?.release.commit === commit ? state.state : "not applied in time";
  demo.io.out(`  release ${short(commit)}: ${reached}${state?.reason ? ` (${state.reason})` : ""}\n`);
  return reached === "serving";
}

async function moveTrafficByHand(demo: Demo, other: string, serving: string): Promise<void> {
  const parent = `${vertexParent(demo.context.config)}/models/${model}`;
  const [version] = await demo.registry.findVersions(parent, { [Label.commit]: other });
  const endpoint = endpointName(demo.context.config, model);
  const current = await demo.endpoints.getEndpoint(endpoint);
  const servingId = current.deployedModels.find((d) => d.versionId !== version?.versionId)?.id ?? "";
  await demo.endpoints.deploy(endpoint, {
    deployedModelId: byHandId,
    modelResource: parent,
    versionId: version?.versionId ?? "",
    displayName: "changed by hand",
    machineType: "n1-standard-2",
    minReplicas: 1,
    maxReplicas: 1,
    trafficSplit: { [servingId]: 70, [byHandId]: 30 },
  });
  demo.io.out(`  ${endpoint}: ${short(serving)} 70 %, deployed model ${byHandId} (${short(other)}) 30 %\n`);
}

/** Waits for the repair's rollout to leave the declared release alone at 100 %. */
async function repaired(demo: Demo, commit: string): Promise<boolean> {
  const endpoint = endpointName(demo.context.config, model);
  const deadline = Date.now() + demo.timeoutMs;
  while (Date.now() < deadline) {
    const state = await demo.endpoints.getEndpoint(endpoint);
    const shares = Object.values(state.trafficSplit).filter((p) => p > 0);
    if (!state.deployedModels.some((d) => d.id === byHandId) && shares.length === 1) {
      demo.io.out(
        `  repaired through deploy → verify → rollout: ${JSON.stringify(state.trafficSplit)} (${short(commit)})\n`,
      );
      return true;
    }
    await new Promise((done) => setTimeout(done, 500));
  }
  demo.io.out("  the repair did not finish in time\n");
  return false;
}

/** A `ReconciliationSucceeded` event of the configured Flux object at `commit`, signed as notification-controller signs. */
async function sendFluxEvent(demo: Demo, commit: string): Promise<{ status: number }> {
  const object = fluxObject(demo.context.config);
  const body = JSON.stringify({
    involvedObject: { kind: object?.kind, namespace: object?.namespace, name: object?.name },
    severity: "info",
    timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    message: "Reconciliation finished (modelgate demo gitops)",
    reason: "ReconciliationSucceeded",
    metadata: { revision: `${demo.branch}@sha1:${commit}` },
    reportingController: "kustomize-controller",
  });
  const signature = createHmac("sha256", secretOf(demo, Secret.fluxWebhookSecret)).update(body).digest("hex");
  const response = await fetch(demo.stack.urls.fluxEvents ?? "", {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature": `sha256=${signature}` },
    body,
  });
  return { status: response.status };
}

function fluxObject(config: Config) {
  const repository = config.models[model]?.repository;
  return config.flux.objects.find((o) => o.repository === repository);
}

function secretOf(demo: Demo, secret: Secret): string {
  return demo.stack.env[secret.env] ?? "";
}

/** Runs a modelgate command in this process and prints its output indented; its exit code. */
async function cli(demo: Demo, args: string[]): Promise<number> {
  const out: string[] = [];
  const code = await runCli(args, { ...demo.io, out: (t) => out.push(t), err: (t) => out.push(t) });
  demo.io.out(`  $ modelgate ${args.join(" ")}   (exit ${code})\n${indent(out.join(""))}`);
  return code;
}

const indent = (text: string) => text.replace(/^(?=.)/gm, "    ");
const short = (commit: string) => commit.slice(0, 12);
