import { type Config, endpointName, modelConfig } from "../../shared/config.js";
import type { ModelConfig } from "../../shared/config-schema.js";
import type { DeploymentRequested } from "../../shared/contracts.js";
import { Outcome } from "../../shared/ledger.js";
import { DeployAction } from "../../shared/ledger-actions.js";
import type {
  DeployedModelInfo,
  EndpointDeployer,
  EndpointState,
  ModelVersion,
} from "../../shared/model-ports.js";
import type { BlobStore } from "../../shared/ports.js";
import { recordedCall, type TraceContext } from "../../shared/recorded-call.js";
import { rolloutSteps } from "../../shared/rollout-plan.js";
import { canarySplit, dominantModel, servingShares, type TrafficSplit } from "../../shared/traffic-split.js";
import { type CanaryPlan, readCanaryPlan, writeCanaryPlan } from "./canary-plan.js";

/** A repair's plan and what deployModel still has to do for it: route `route` first (when set), then announce. */
export interface RepairPlan {
  plan: CanaryPlan;
  /** The split to set before announcing: a declared version found with no traffic gets its first step's share. */
  route?: TrafficSplit;
  /** An earlier attempt of this request planned it already: announce again, nothing else. */
  resumed: boolean;
}

/**
 * The declared version's DeployedModel, when a `release-repair` request finds it still deployed: a traffic split
 * changed by hand or a `production` alias moved. Any other request, or a version not deployed, is none of this.
 */
export function deployedForRepair(
  request: DeploymentRequested,
  version: ModelVersion,
  state: EndpointState,
): DeployedModelInfo | undefined {
  if (request.reason !== "release-repair") return undefined;
  return state.deployedModels.find(
    (deployed) =>
      deployed.modelResource === version.modelResource && deployed.versionId === version.versionId,
  );
}

/**
 * Plans the repair of a declared version that is deployed but drifted, as a rollout from the endpoint's split as
 * found with that version as the candidate at its current share: at the last step when it has traffic, so its
 * verification's pass restores 100 % and the alias (rolloutModel's finish) and a fail rolls back from the split as
 * found; at the first step's share when someone took all its traffic away, since a candidate without traffic
 * cannot be verified. The plan is stored like a canary's (the split to restore survives a crash), once per request.
 */
export async function planRepair(
  request: DeploymentRequested,
  model: ModelConfig,
  version: ModelVersion,
  deployed: DeployedModelInfo,
  state: EndpointState,
  deps: { blobs: BlobStore; now: () => Date; endpoint: string },
): Promise<RepairPlan> {
  const stored = await readCanaryPlan(deps.blobs, request.model, request.commit);
  if (stored?.plan.correlationId === request.correlationId && stored.plan.deployedModelId === deployed.id) {
    return { plan: stored.plan, resumed: true };
  }
  const found = servingShares(state.trafficSplit);
  const steps = rolloutSteps(model);
  const share = found[deployed.id] ?? 0;
  const step = share > 0 ? steps.length - 1 : 0;
  const route =
    share > 0
      ? undefined
      : canarySplit(found, deployed.id, request.canaryPercent ?? steps[0]?.traffic ?? 100);
  const previousDeployedModelId = dominantModel(found);
  const plan: CanaryPlan = {
    model: request.model,
    commit: request.commit,
    correlationId: request.correlationId,
    endpoint: deps.endpoint,
    modelResource: version.modelResource,
    versionId: version.versionId,
    deployedModelId: deployed.id,
    canaryPercent: route?.[deployed.id] ?? share,
    previousTrafficSplit: found,
    ...(previousDeployedModelId ? { previousDeployedModelId } : {}),
    rolloutStep: step,
    ...(request.release ? { release: request.release } : {}),
    plannedAt: deps.now().toISOString(),
  };
  await writeCanaryPlan(deps.blobs, plan, stored?.generation ?? "0");
  return { plan, resumed: false, ...(route ? { route } : {}) };
}

/** What repairDrift needs of deployModel: the endpoint, the bucket, the trace, and its announcement. */
export interface RepairDeps {
  config: Config;
  deployer: EndpointDeployer;
  blobs: BlobStore;
  trace: TraceContext;
  now: () => Date;
  announce: (plan: CanaryPlan) => Promise<void>;
}

/**
 * Plans the repair of a drifted declared version (planRepair), routes it its first share when it had none, records
 * the plan and announces `deployment-ready`: verifyDeployment and rolloutModel do the rest. A repeat of the same
 * request announces the stored plan again and changes nothing.
 */
export async function repairDrift(
  message: DeploymentRequested,
  version: ModelVersion,
  drifted: DeployedModelInfo,
  state: EndpointState,
  deps: RepairDeps,
): Promise<{ status: "repair-planned" | "resumed"; deployedModelId: string; trafficSplit: TrafficSplit }> {
  const endpoint = endpointName(deps.config, message.model);
  const model = modelConfig(deps.config, message.model);
  const planned = await planRepair(message, model, version, drifted, state, { ...deps, endpoint });
  const route = planned.route;
  if (route) {
    await recordedCall(
      deps.trace,
      DeployAction.repairPlanned,
      () => deps.deployer.setTrafficSplit(endpoint, route),
      {
        endpoint,
        trafficSplit: route,
      },
    );
  }
  if (!planned.resumed) {
    await deps.trace.record({
      action: DeployAction.repairPlanned,
      outcome: Outcome.succeeded,
      details: { endpoint, plan: planned.plan },
    });
  }
  await deps.announce(planned.plan);
  return {
    status: planned.resumed ? "resumed" : "repair-planned",
    deployedModelId: drifted.id,
    trafficSplit: route ?? state.trafficSplit,
  };
}
