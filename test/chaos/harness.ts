import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { deliverGithubEvent, pushPayload } from "../../cli/github-push.js";
import { buildExampleObjects, EXAMPLE_OBJECTS } from "../../examples/fraud-detector/seed-data.js";
import { builtInPubSub } from "../../local/servers.js";
import { type LocalStack, startStack } from "../../local/stack.js";
import { type Config, endpointName, loadConfig, modelConfig, vertexParent } from "../../shared/config.js";
import { Verdict } from "../../shared/contracts.js";
import { type LedgerEntry, Outcome } from "../../shared/ledger.js";
import { completesChain, VerifyAction } from "../../shared/ledger-actions.js";
import { Label } from "../../shared/model-ports.js";
import { rolloutSteps } from "../../shared/rollout-plan.js";
import { createRuntime, type Runtime } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexTrainingLauncher } from "../../shared/vertex/jobs-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { eventually } from "../support/eventually.js";
import { injectVertexFaults, type KillPoint, killPoints } from "./faults.js";
import { Killer } from "./kills.js";
import { countDeployments, isDeadLetter, ledgerCompleteness, sorted } from "./ledger-checks.js";
import { runReleasePhase } from "./releases-phase.js";
import { DeadLetterReplayer } from "./replayer.js";
import { type ChaosReport, type CommitResult, type CommitState, emptyReport } from "./report.js";
import { createRng, type Rng } from "./rng.js";
import { deliverWithDuplicates, type GithubSend } from "./webhook-delivery.js";

export const chaosConfigPath = resolve("test/chaos/chaos.config.yaml");
const webhookSecret = "chaos-secret-chaos-secret-chaos-secret";

export interface ChaosOptions {
  seed: number;
  /** Commits pushed per model (the two models run side by side, each model's commits one after another). */
  commitsPerModel: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** How long one commit's chain may take before the run is declared stuck. */
  commitTimeoutMs?: number;
}

/** Runs the chaos scenario on a fresh local stack and returns what it saw; never throws for a violated invariant. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const rng = createRng(options.seed);
  const config: Config = loadConfig({ MODELGATE_CONFIG: chaosConfigPath });
  const models = Object.keys(config.models);
  const commitTimeoutMs = options.commitTimeoutMs ?? 150_000;
  const objects = buildExampleObjects();
  const normalData = objects.find((o) => o.name === EXAMPLE_OBJECTS.train)?.contents ?? "";
  const shiftedData = objects.find((o) => o.name === EXAMPLE_OBJECTS.trainShifted)?.contents ?? "";

  // The replay CLI runs in this process: keep google-auth-library from probing for a metadata server.
  process.env.METADATA_SERVER_DETECTION ??= "none";
  execFileSync(process.execPath, ["scripts/build-main.mjs"]);
  const vertexEvents: Array<Record<string, unknown>> = [];
  const stack: LocalStack = await startStack({
    config,
    configPath: chaosConfigPath,
    webhookSecret,
    backoffSeconds: { minimum: 0.2, maximum: 2 },
    log: (entry) => {
      if (entry.event === "operation-failed") vertexEvents.push({ ...entry, at: Date.now() });
    },
  });
  const env = { ...stack.env, MODELGATE_CONFIG: chaosConfigPath };
  const runtime: Runtime = createRuntime(env);
  const location = {
    endpoint: loadSettings(stack.env).vertexEndpoint,
    region: config.region,
    parent: vertexParent(config),
  };
  const endpoints = new VertexEndpointDeployer(location);
  const jobs = new VertexTrainingLauncher(location);
  const registry = new VertexModelRegistry(location);

  const report = emptyReport(options);
  const states: CommitState[] = [];

  // Every push delivery 1–4 times, after a random pause, in a shuffled order within each batch.
  const pubsubRng = rng.fork("pubsub");
  builtInPubSub(stack.servers).faults = {
    get duplicate() {
      const copies = pubsubRng.int(1, 4);
      report.pubsubDuplicates += copies - 1;
      return copies;
    },
    get delayMs() {
      return pubsubRng.int(0, 120);
    },
    reorder: true,
    random: () => pubsubRng.next(),
  };

  const killer = new Killer(stack, report, log);
  const replayer = new DeadLetterReplayer(builtInPubSub(stack.servers), env, log);

  const sendGithub: GithubSend = (event, payload, deliveryId) =>
    deliverGithubEvent(stack.functions.githubWebhook.url, webhookSecret, event, payload, deliveryId).then(
      (answer) => answer.status,
      () => 0, // the connection failed (a restart in progress): GitHub shows it as failed
    );
  const deliver = (r: Rng, event: string, payload: unknown, deliveryId: string) =>
    deliverWithDuplicates(sendGithub, report, r, event, payload, deliveryId);

  /** Waits for the commit's `chains`-th chain to complete; past the commit timeout, records what it reached. */
  async function waitForChain(state: CommitState, chains: number): Promise<LedgerEntry[]> {
    let entries: LedgerEntry[] = [];
    try {
      return await eventually(
        `chain ${chains} of ${state.model}@${state.commit.slice(0, 8)}`,
        async () => {
          entries = await runtime.ledger.read(state.model, state.commit);
          return entries.filter(completesChain).length >= chains ? entries : undefined;
        },
        { timeoutMs: commitTimeoutMs, intervalMs: 200 },
      );
    } catch {
      const errors = new Set(
        entries
          .filter((e) => e.outcome === Outcome.failed)
          .map(
            (e) =>
              `${e.step}:${e.action}: ${String((e.error as { message?: unknown } | undefined)?.message)}`,
          ),
      );
      const reached = [...new Set(entries.map((e) => `${e.step}:${e.action}`))].join(", ");
      report.problems.push(
        `${state.model}@${state.commit.slice(0, 8)} did not finish chain ${chains} in time; reached ${reached}; errors: ${[...errors].join(" | ")}`,
      );
      return entries;
    }
  }

  async function checkSplit(state: CommitState, entries: LedgerEntry[], before: Record<string, number>) {
    const verdicts = entries.filter((e) => e.action === VerifyAction.verificationCompleted);
    const verdict = verdicts.at(-1)?.details?.verdict;
    const endpoint = await endpoints.getEndpoint(endpointName(config, state.model));
    const id = deployedModelId(state.model, state.commit);
    state.split = JSON.stringify(endpoint.trafficSplit);
    if (verdict === Verdict.pass) {
      state.splitOk =
        JSON.stringify(endpoint.trafficSplit) === JSON.stringify({ [id]: 100 }) &&
        endpoint.deployedModels.length === 1;
    } else {
      state.splitOk = JSON.stringify(sorted(endpoint.trafficSplit)) === JSON.stringify(sorted(before));
    }
    if (!state.splitOk) {
      report.problems.push(
        `${state.model}@${state.commit.slice(0, 8)}: verdict ${String(verdict)} but the split is ${state.split} (before: ${JSON.stringify(before)})`,
      );
    }
  }

  // Kill points are taken in turn from a seeded start, so even a small run kills inside every kind of step.
  let killTurn = rng.int(0, killPoints.length - 1);
  const nextKillPoint = () => killPoints[killTurn++ % killPoints.length] as KillPoint;
  /** What identifies the model's call in the request log: the commit, its deployed model id, or its endpoint. */
  const killMarker = (model: string, commit: string) => ({
    commit,
    deployedModelId: deployedModelId(model, commit),
    endpoint: `${endpointName(config, model)}"`,
  });

  /** A commit the run tracks, with its own training data object written. */
  async function newCommit(
    model: string,
    commit: string,
    data: CommitState["data"],
    outage: boolean,
  ): Promise<CommitState> {
    const state: CommitState = {
      model,
      commit,
      data,
      outage,
      promotions: [],
      expectedDeployments: 1,
      splitOk: false,
      split: "",
      crashes: 0,
    };
    states.push(state);
    await runtime.blobs.write(
      `datasets/${model}/chaos/${commit}.jsonl`,
      data === "normal" ? normalData : shiftedData,
      { contentType: "application/x-ndjson" },
    );
    return state;
  }

  async function runModel(model: string, r: Rng): Promise<void> {
    const repository = config.models[model]?.repository ?? "";
    const endpoint = endpointName(config, model);
    const passed: CommitState[] = [];
    for (let i = 0; i < options.commitsPerModel; i++) {
      const commit = r.hex(40);
      // The first commit of a model always passes (something to roll back to); after it, about 30% fail. The last
      // commit of the first model always fails, so even the smallest run rolls back; the second model's (which rolls
      // out in steps) pass unless chance says otherwise, so its steps are gone through.
      const forcedFailure = i > 0 && i === options.commitsPerModel - 1 && model === models[0];
      const data = i > 0 && (r.chance(0.3) || forcedFailure) ? "shifted" : "normal";
      const state = await newCommit(model, commit, data, false);
      const before = (await endpoints.getEndpoint(endpoint)).trafficSplit;
      report.vertexFaultsInjected += injectVertexFaults(stack.servers.vertex.faults, r);
      const disarm: Array<() => void> = [];
      const from = stack.servers.vertex.requestLog.length;
      // A model in steps after its first commit: kill rolloutModel between a traffic move and the next step.
      const betweenSteps = i > 0 && rolloutSteps(modelConfig(config, model)).length > 1;
      const point = betweenSteps
        ? (killPoints.find((p) => p.fn === "rolloutModel") as KillPoint)
        : nextKillPoint();
      if (betweenSteps || r.chance(0.85))
        disarm.push(killer.arm(point, state, killMarker(model, commit), from));
      const deliveryId = crypto.randomUUID();
      state.promotions.push({ correlationHint: "push", deliveryId });
      log(`push ${model}@${commit.slice(0, 8)} (${data})`);
      await deliver(
        r,
        "push",
        pushPayload({ repository, ref: "refs/heads/main", commit, modified: [`models/${model}/train.py`] }),
        deliveryId,
      );
      const entries = await waitForChain(state, 1);
      for (const d of disarm) d();
      await checkSplit(state, entries, before);
      const verdict = entries.find((e) => e.action === VerifyAction.verificationCompleted)?.details?.verdict;
      if (verdict === Verdict.pass) passed.push(state);
    }
    // Promote an earlier passing commit that is not serving now: it deploys as a canary again and is verified.
    const serving = passed.at(-1);
    const older = passed.find((s) => s !== serving);
    if (older) {
      const before = (await endpoints.getEndpoint(endpoint)).trafficSplit;
      report.vertexFaultsInjected += injectVertexFaults(stack.servers.vertex.faults, r);
      // A promotion runs deployModel, verifyDeployment and rolloutModel only: kill one of those.
      const point = killPoints.filter((p) =>
        ["deployModel", "verifyDeployment", "rolloutModel"].includes(p.fn),
      )[r.int(0, 2)] as KillPoint;
      const disarm = killer.arm(
        point,
        older,
        killMarker(model, older.commit),
        stack.servers.vertex.requestLog.length,
      );
      const deliveryId = crypto.randomUUID();
      older.promotions.push({ correlationHint: "tag", deliveryId });
      older.expectedDeployments += 1;
      log(`promote ${model}@${older.commit.slice(0, 8)}`);
      await deliver(
        r,
        "push",
        pushPayload({ repository, ref: `refs/tags/promote/${model}/v${options.seed}`, commit: older.commit }),
        deliveryId,
      );
      const entries = await waitForChain(older, 2);
      disarm();
      await checkSplit(older, entries, before);
    }
  }

  /**
   * The designed dead letter: a push during a Vertex AI outage (every CreateCustomJob answers UNAVAILABLE) that
   * outlasts the subscription's retry span, so the training-requested message is dead-lettered and recorded. When
   * the outage is over, the operator's `modelgate replay` sends it back and the chain finishes as if nothing happened.
   */
  async function runOutage(model: string, r: Rng): Promise<void> {
    const repository = config.models[model]?.repository ?? "";
    const commit = r.hex(40);
    const state = await newCommit(model, commit, "normal", true);
    const before = (await endpoints.getEndpoint(endpointName(config, model))).trafficSplit;
    replayer.hold = true;
    stack.servers.vertex.faults.failNext("CreateCustomJob", 1_000_000, "UNAVAILABLE");
    const deliveryId = crypto.randomUUID();
    state.promotions.push({ correlationHint: "push", deliveryId });
    log(`outage: push ${model}@${commit.slice(0, 8)} while every CreateCustomJob answers UNAVAILABLE`);
    await deliver(
      r,
      "push",
      pushPayload({ repository, ref: "refs/heads/main", commit, modified: [`models/${model}/train.py`] }),
      deliveryId,
    );
    await eventually(
      `the outage to dead-letter ${model}@${commit.slice(0, 8)}`,
      async () => ((await runtime.ledger.read(model, commit)).some(isDeadLetter) ? true : undefined),
      { timeoutMs: commitTimeoutMs, intervalMs: 250 },
    ).catch(() =>
      report.problems.push(`${model}@${commit.slice(0, 8)}: the outage never dead-lettered its message`),
    );
    stack.servers.vertex.faults.clear();
    replayer.hold = false;
    log(`outage over: replaying ${model}@${commit.slice(0, 8)}`);
    const entries = await waitForChain(state, 1);
    await checkSplit(state, entries, before);
  }

  /** Phase 1: both models' commits side by side (each model's one after another), with faults and kills. */
  async function pushCommits(): Promise<void> {
    await Promise.all(models.map((model) => runModel(model, rng.fork(model))));
    await killer.settled();
    stack.servers.vertex.faults.clear();
    await Promise.race([builtInPubSub(stack.servers).idle(), sleep(60_000)]);
  }

  /** Phase 3: every duplicate, redelivery and replay has landed, so effects can be counted. */
  async function settleDeliveries(): Promise<void> {
    await Promise.race([builtInPubSub(stack.servers).idle(), sleep(60_000)]);
    // The operator has replayed every dead letter (the replayer polls every 500 ms) and no replay is running.
    await eventually("the operator's replays to finish", () => (replayer.caughtUp ? true : undefined), {
      timeoutMs: commitTimeoutMs,
      intervalMs: 100,
    }).catch((error: unknown) => report.problems.push(String(error)));
    await Promise.race([builtInPubSub(stack.servers).idle(), sleep(30_000)]);
  }

  /** Phase 4: counts traffic and faults, and each commit's effects against what its promotions allow. */
  async function tally(): Promise<void> {
    const stats = builtInPubSub(stack.servers).stats();
    report.replayed = replayer.replayed;
    report.pubsubPublished = stats.published;
    report.pubsubDeliveries = stats.deliveriesAttempted;
    report.deadLettered = stats.deadLettered.length;
    report.vertexFaultsHit = stack.servers.vertex.requestLog.filter((e) =>
      e.message?.startsWith("Injected fault"),
    ).length;
    report.operationFaults = vertexEvents.filter(
      (e) => e.event === "operation-failed" && String(e.message).startsWith("chaos: injected"),
    ).length;

    for (const state of states) report.commits.push(await settle(state));
    // Only the designed outage dead-letters; everything else is finished by redelivery.
    report.deadLetteredByDesign = report.commits
      .filter((c) => c.outage)
      .reduce((n, c) => n + c.deadLettered, 0);
    if (report.deadLettered !== report.deadLetteredByDesign) {
      report.problems.push(
        `${report.deadLettered} message(s) dead-lettered, ${report.deadLetteredByDesign} by design: ${stats.deadLettered
          .map((d) => `${d.messageId} from ${d.subscription} (${d.reason})`)
          .join("; ")}`,
      );
    }
  }

  try {
    await pushCommits();
    await runReleasePhase(
      {
        stack,
        config,
        env,
        runtime,
        endpoints,
        registry,
        states,
        report,
        killer,
        deliver,
        waitForChain,
        killMarker,
        log,
        timeoutMs: commitTimeoutMs,
      },
      rng.fork("releases"),
    );
    await killer.settled();
    await runOutage(models[0] ?? "", rng.fork("outage"));
    await settleDeliveries();
    await tally();
  } finally {
    replayer.stop();
    await Promise.allSettled([endpoints.close(), jobs.close(), registry.close()]);
    await stack.close();
  }
  report.seconds = Math.round((Date.now() - started) / 100) / 10;
  return report;

  /** Counts the commit's effects through the real clients and the ledger. */
  async function settle(state: CommitState): Promise<CommitResult> {
    const { model, commit } = state;
    const short = `${model}@${commit.slice(0, 8)}`;
    const trainingJobs = (await jobs.findJobs({ [Label.model]: model, [Label.commit]: commit })).length;
    const versions = (
      await registry.findVersions(`${vertexParent(config)}/models/${model}`, { [Label.commit]: commit })
    ).length;
    const deployments = countDeployments(stack, vertexEvents, endpointName(config, model), model, commit);
    const entries = await runtime.ledger.read(model, commit);
    const verdicts = entries
      .filter((e) => e.action === VerifyAction.verificationCompleted)
      .map((e) => String(e.details?.verdict));
    const steps = rolloutSteps(modelConfig(config, model)).length;
    const ledgerProblems = ledgerCompleteness(entries, state.promotions.length, steps, state.extraChains);
    const dead = entries.filter((e) => isDeadLetter(e)).length;
    const chains = entries.filter(completesChain).length;
    const lost = Math.max(0, state.promotions.length + (state.extraChains ?? 0) - chains);
    const result: CommitResult = {
      model,
      commit,
      data: state.data,
      outage: state.outage,
      promotions: state.promotions.length,
      verdicts,
      trainingJobs,
      versions,
      deployments,
      expectedDeployments: state.expectedDeployments,
      split: state.split,
      splitOk: state.splitOk,
      ledgerComplete: ledgerProblems.length === 0,
      ledgerProblems,
      lost,
      deadLettered: dead,
      replayed: dead,
      crashes: state.crashes,
    };
    if (trainingJobs !== 1) report.problems.push(`${short}: ${trainingJobs} training jobs`);
    if (versions !== 1) report.problems.push(`${short}: ${versions} registered versions`);
    if (deployments !== state.expectedDeployments)
      report.problems.push(
        `${short}: ${deployments} deployments for ${state.expectedDeployments} promotions`,
      );
    for (const p of ledgerProblems) report.problems.push(`${short}: ledger ${p}`);
    if (lost > 0) report.problems.push(`${short}: ${lost} chain(s) never finished`);
    if (state.outage && dead === 0)
      report.problems.push(`${short}: pushed during the outage but never dead-lettered`);
    if (!state.outage && dead > 0)
      report.problems.push(`${short}: dead-lettered ${dead}× outside the designed outage`);
    const expectedVerdict = state.data === "normal" ? Verdict.pass : Verdict.fail;
    if (verdicts.some((v) => v !== expectedVerdict))
      report.problems.push(`${short}: verdicts ${verdicts.join(",")} for ${state.data} data`);
    return result;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
