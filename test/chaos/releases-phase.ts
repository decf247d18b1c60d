import { requestReconcile } from "../../cli/commands/reconcile.js";
import { pushPayload } from "../../cli/github-push.js";
import type { LocalStack } from "../../local/stack.js";
import { type Config, endpointName, modelConfig, vertexParent } from "../../shared/config.js";
import type { LedgerEntry } from "../../shared/ledger.js";
import { completesChain, ReconcileAction } from "../../shared/ledger-actions.js";
import { Label } from "../../shared/model-ports.js";
import { readAppliedRelease } from "../../shared/releases/applied-release.js";
import type { Runtime } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { dominantModel } from "../../shared/traffic-split.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import type { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import type { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { eventually } from "../support/eventually.js";
import { type KillPoint, killPoints } from "./faults.js";
import type { Killer, KillMarkers } from "./kills.js";
import type { ChaosReport, CommitState } from "./report.js";
import type { Rng } from "./rng.js";

/** What the releases phase uses of the chaos run (test/chaos/harness.ts). */
export interface ReleasePhaseContext {
  stack: LocalStack;
  config: Config;
  env: Record<string, string | undefined>;
  runtime: Runtime;
  endpoints: VertexEndpointDeployer;
  registry: VertexModelRegistry;
  states: CommitState[];
  report: ChaosReport;
  killer: Killer;
  deliver: (r: Rng, event: string, payload: unknown, deliveryId: string) => Promise<unknown>;
  waitForChain: (state: CommitState, chains: number) => Promise<LedgerEntry[]>;
  killMarker: (model: string, commit: string) => KillMarkers;
  log: (line: string) => void;
  timeoutMs: number;
}

/** The id a traffic change made by hand gives the model it deploys next to the release. */
const byHandId = "1234567890";

/**
 * Phase 2: the first model's serving commit declared in its repository's releases file (a commit on the local GitHub
 * stand-in, its push delivered with duplicates) and applied through applyReleases; then a traffic split changed by
 * hand through the Vertex AI client, found by a reconcile run (model configured `drift: repair`) and repaired
 * through the chain with a kill inside verifyDeployment or rolloutModel. After it: the release applied "serving",
 * the split exactly all to the release, the production alias on its version, the repair asked for once.
 */
export async function runReleasePhase(ctx: ReleasePhaseContext, r: Rng): Promise<void> {
  const { config, endpoints, report } = ctx;
  const model = Object.keys(config.models)[0] ?? "";
  const endpoint = endpointName(config, model);
  const servingId = dominantModel((await endpoints.getEndpoint(endpoint)).trafficSplit);
  const target = ctx.states.find(
    (s) => s.model === model && !s.outage && deployedModelId(model, s.commit) === servingId,
  );
  if (!target) {
    report.problems.push(`releases: no commit of ${model} the run pushed serves (${String(servingId)})`);
    return;
  }
  await declareRelease(ctx, r, model, target);
  await driftAndRepair(ctx, r, model, target);
}

async function declareRelease(ctx: ReleasePhaseContext, r: Rng, model: string, target: CommitState) {
  const repository = modelConfig(ctx.config, model).repository;
  const declaring = ctx.stack.servers.github.state.addCommit(repository, {
    files: { "modelgate.releases.yaml": `releases:\n  ${model}:\n    commit: "${target.commit}"\n` },
    author: { login: "chaos" },
    branch: "main",
  });
  ctx.log(`release: ${model}@${target.commit.slice(0, 8)} declared by ${declaring.slice(0, 8)}`);
  await ctx.deliver(
    r,
    "push",
    pushPayload({
      repository,
      ref: "refs/heads/main",
      commit: declaring,
      modified: ["modelgate.releases.yaml"],
    }),
    crypto.randomUUID(),
  );
  await eventually(
    `the release of ${model}@${target.commit.slice(0, 8)} to be applied`,
    async () => {
      const applied = (await readAppliedRelease(ctx.runtime.blobs, model))?.applied;
      return applied?.state === "serving" && applied.release.commit === target.commit ? true : undefined;
    },
    { timeoutMs: ctx.timeoutMs, intervalMs: 250 },
  ).catch((error: unknown) => ctx.report.problems.push(`releases: ${String(error)}`));
}

async function driftAndRepair(ctx: ReleasePhaseContext, r: Rng, model: string, target: CommitState) {
  const { endpoints, registry, config, report } = ctx;
  const endpoint = endpointName(config, model);
  const parent = `${vertexParent(config)}/models/${model}`;
  const releasedId = deployedModelId(model, target.commit);
  const [version] = await registry.findVersions(parent, { [Label.commit]: target.commit });
  const other = ctx.states.find((s) => s.model === model && s.commit !== target.commit && !s.outage);
  const [otherVersion] = other ? await registry.findVersions(parent, { [Label.commit]: other.commit }) : [];
  if (!version || !otherVersion) {
    report.problems.push(`releases: ${model} has no second registered version to drift to`);
    return;
  }
  const chains = (await ctx.runtime.ledger.read(model, target.commit)).filter(completesChain).length;
  // Someone sends 30 % of the traffic to another version by hand.
  await endpoints.deploy(endpoint, {
    deployedModelId: byHandId,
    modelResource: parent,
    versionId: otherVersion.versionId,
    displayName: "by hand",
    machineType: "n1-standard-2",
    minReplicas: 1,
    maxReplicas: 1,
    trafficSplit: { [releasedId]: 70, [byHandId]: 30 },
  });
  const point = killPoints.filter((p) => ["verifyDeployment", "rolloutModel"].includes(p.fn))[
    r.int(0, 1)
  ] as KillPoint;
  const disarm = ctx.killer.arm(
    point,
    target,
    ctx.killMarker(model, target.commit),
    ctx.stack.servers.vertex.requestLog.length,
  );
  target.extraChains = (target.extraChains ?? 0) + 1;
  ctx.log(`drift: 30 % of ${model}'s traffic moved by hand; reconcile (kill ${point.fn})`);
  const settings = loadSettings(ctx.env);
  await requestReconcile(
    { config, settings },
    { trigger: "manual", requestedBy: "chaos", dryRun: false, models: [model] },
  );
  await ctx.waitForChain(target, chains + 1);
  disarm();
  const state = await endpoints.getEndpoint(endpoint);
  const alias = await registry.getVersion(parent, "production").then(
    (v) => v.versionId,
    () => null,
  );
  const exact =
    JSON.stringify(state.trafficSplit) === JSON.stringify({ [releasedId]: 100 }) &&
    state.deployedModels.length === 1 &&
    alias === version.versionId;
  if (!exact) {
    report.problems.push(
      `releases: after the repair ${model}'s split is ${JSON.stringify(state.trafficSplit)} on ${state.deployedModels.length} deployed model(s), alias on ${String(alias)} (want ${releasedId} at 100 %, alias on ${version.versionId})`,
    );
  }
  const applied = (await readAppliedRelease(ctx.runtime.blobs, model))?.applied;
  if (applied?.state !== "serving" || applied.release.commit !== target.commit) {
    report.problems.push(`releases: the applied release of ${model} is ${JSON.stringify(applied)}`);
  }
  const repairs = (await ctx.runtime.ledger.read(model, target.commit)).filter(
    (e) => e.action === ReconcileAction.repairRequested,
  );
  if (repairs.length !== 1)
    report.problems.push(`releases: ${repairs.length} repairs requested for one drift`);
  report.releases = { applied: applied?.state ?? "none", repairs: repairs.length, splitExact: exact };
}
