import { fullestCommit, sameCommit } from "../../shared/commit.js";
import { versionsOfCommit } from "../../shared/commit-versions.js";
import { endpointName, modelConfig } from "../../shared/config.js";
import type { DeploymentReady, DeploymentRequested } from "../../shared/contracts.js";
import { followUp } from "../../shared/contracts.js";
import { ArtifactError, NotFoundError } from "../../shared/errors.js";
import { deploymentStatus, notifyGithubAbout, stepUnderWay } from "../../shared/github/notifications.js";
import { Outcome } from "../../shared/ledger.js";
import { DeployAction } from "../../shared/ledger-actions.js";
import {
  type EndpointDeployer,
  type EndpointState,
  Label,
  type ModelRegistry,
  type ModelVersion,
} from "../../shared/model-ports.js";
import { shortSha } from "../../shared/names.js";
import type { StepLogicDeps } from "../../shared/pubsub-function.js";
import { recordedCall } from "../../shared/recorded-call.js";
import { type RolloutStep, rolloutSteps } from "../../shared/rollout-plan.js";
import { Topic } from "../../shared/topology.js";
import { canarySplit, dominantModel, servingShares } from "../../shared/traffic-split.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { type CanaryPlan, plannedDeployment, readCanaryPlan, writeCanaryPlan } from "./canary-plan.js";
import { deployedForRepair, repairDrift } from "./repair-plan.js";

/** What deployModel needs: the registry to find the version, the endpoint, the bucket for its plan, a publisher. */
export interface DeployModelDeps extends StepLogicDeps {
  registry: ModelRegistry;
  deployer: EndpointDeployer;
}

export const DeployStatus = {
  /** The canary was deployed now. */
  deployed: "deployed",
  /** An earlier attempt of this request deployed it; deployment-ready was published (again). */
  resumed: "resumed",
  /** The endpoint already serves this version with all its traffic. */
  alreadyServing: "already-serving",
  /** Another request's canary of this commit is on the endpoint; it carries on without this one. */
  canaryInProgress: "canary-in-progress",
  /** A release-repair found the declared version deployed but drifted: its rollout from the split as found began. */
  repairPlanned: "repair-planned",
} as const;
export type DeployStatus = (typeof DeployStatus)[keyof typeof DeployStatus];

export interface DeployModelResult {
  status: DeployStatus;
  deployedModelId: string;
  trafficSplit?: Record<string, number>;
}

/**
 * Deploys a commit's registered model version to the model's endpoint as a canary with the configured share (a
 * first deployment takes all the traffic), under a DeployedModel id derived from model and commit so a repeat
 * finds it, and announces `deployment-ready` with the split to restore on rollback. A version not registered yet
 * is a retryable NotFoundError: the promotion waits, redelivered with backoff, until registerModel catches up.
 * The commit may be named in any form (a tag push names the 40-digit SHA, a version may be registered from a
 * short one); from the version found on, the fullest form is used, so every form deploys the same canary.
 */
export async function deployModel(
  request: DeploymentRequested,
  deps: DeployModelDeps,
): Promise<DeployModelResult> {
  const { deployer, trace } = deps;
  const endpoint = endpointName(deps.config, request.model);
  const { version, commit } = await findVersion(request, deps);
  const message: DeploymentRequested = { ...request, commit };
  const candidateId = deployedModelId(message.model, message.commit);

  const state = await recordedCall(trace, DeployAction.endpointRead, () => deployer.getEndpoint(endpoint), {
    endpoint,
  });
  const now = deps.now ?? (() => new Date());
  const drifted = deployedForRepair(message, version, state);
  if (drifted) {
    const announcePlan = (plan: CanaryPlan) => announce(message, plan, deps, now);
    return repairDrift(message, version, drifted, state, { ...deps, now, announce: announcePlan });
  }
  const serving = state.deployedModels.find(
    (deployed) =>
      deployed.modelResource === version.modelResource &&
      deployed.versionId === version.versionId &&
      state.trafficSplit[deployed.id] === 100,
  );
  if (serving) {
    trace.logger.info(`${endpoint} already serves ${message.model}@${message.commit} with all its traffic`);
    await trace.record({
      action: DeployAction.alreadyServing,
      outcome: Outcome.skipped,
      details: { endpoint, deployedModelId: serving.id, versionId: version.versionId },
    });
    return { status: DeployStatus.alreadyServing, deployedModelId: serving.id };
  }

  const stored = await readCanaryPlan(deps.blobs, message.model, message.commit);
  if (state.deployedModels.some((deployed) => deployed.id === candidateId)) {
    const plan = stored?.plan;
    if (plan && plan.correlationId === message.correlationId && plan.deployedModelId === candidateId) {
      // An earlier attempt deployed the canary and died before announcing it: finish its job.
      await announce(message, plan, deps, now);
      await trace.record({
        action: DeployAction.canaryResumed,
        outcome: Outcome.succeeded,
        details: { plan },
      });
      return { status: DeployStatus.resumed, deployedModelId: candidateId, trafficSplit: state.trafficSplit };
    }
    trace.logger.info(
      `a canary of ${message.model}@${message.commit} is already on ${endpoint}; leaving it be`,
      {
        plannedBy: plan?.correlationId,
      },
    );
    await trace.record({
      action: DeployAction.canaryInProgress,
      outcome: Outcome.skipped,
      details: { endpoint, deployedModelId: candidateId, plannedBy: plan?.correlationId ?? null },
    });
    return { status: DeployStatus.canaryInProgress, deployedModelId: candidateId };
  }

  return deployCanary(message, version, state, stored?.generation ?? "0", deps, now);
}

/**
 * Plans the canary against the endpoint as read (a first deployment takes all the traffic), writes the plan over
 * the stored one of that generation, deploys the version with the split and announces `deployment-ready`.
 */
async function deployCanary(
  message: DeploymentRequested,
  version: ModelVersion,
  state: EndpointState,
  storedGeneration: string,
  deps: DeployModelDeps,
  now: () => Date,
): Promise<DeployModelResult> {
  const { deployer, trace } = deps;
  const model = modelConfig(deps.config, message.model);
  const endpoint = endpointName(deps.config, message.model);
  const candidateId = deployedModelId(message.model, message.commit);
  const previous = servingShares(state.trafficSplit);
  // A first deployment has nobody to share with: it takes all the traffic and is verified as the last step.
  // A release may ask for its own canary share (the releases file's `canary`): it replaces the first step's share.
  const steps = rolloutSteps(model);
  const firstDeployment = Object.keys(previous).length === 0;
  const step = firstDeployment ? (steps.at(-1) as RolloutStep) : (steps[0] as RolloutStep);
  const percent = firstDeployment ? 100 : (message.canaryPercent ?? step.traffic);
  const split = canarySplit(previous, candidateId, percent);
  const previousDeployedModelId = dominantModel(previous);
  const plan: CanaryPlan = {
    model: message.model,
    commit: message.commit,
    correlationId: message.correlationId,
    endpoint,
    modelResource: version.modelResource,
    versionId: version.versionId,
    deployedModelId: candidateId,
    canaryPercent: split[candidateId] ?? percent,
    previousTrafficSplit: previous,
    ...(previousDeployedModelId ? { previousDeployedModelId } : {}),
    rolloutStep: step.index,
    ...(message.release ? { release: message.release } : {}),
    plannedAt: now().toISOString(),
  };
  // Nothing of this commit is deployed, so the endpoint as read now is the truth; replace any older plan.
  await writeCanaryPlan(deps.blobs, plan, storedGeneration);
  const queued = `deploying version ${version.versionId} with ${plan.canaryPercent} % of the traffic`;
  await notifyGithubAbout(message, deploymentStatus(endpoint, "queued", queued), deps);

  const spec = {
    deployedModelId: candidateId,
    modelResource: version.modelResource,
    versionId: version.versionId,
    displayName: `${message.model}-${shortSha(message.commit)}`,
    machineType: model.serving.machineType,
    minReplicas: model.serving.minReplicas,
    maxReplicas: model.serving.maxReplicas,
    trafficSplit: split,
  };
  await recordedCall(trace, DeployAction.modelDeployed, () => deployer.deploy(endpoint, spec), {
    endpoint,
    spec,
  });
  await announce(message, plan, deps, now);
  return { status: DeployStatus.deployed, deployedModelId: candidateId, trafficSplit: split };
}

/** The registered version of the request's commit, in whatever form it was registered, and the commit's fullest form. */
async function findVersion(
  message: DeploymentRequested,
  deps: DeployModelDeps,
): Promise<{ version: ModelVersion; commit: string }> {
  const { registry, trace } = deps;
  const parent = await recordedCall(
    trace,
    DeployAction.parentModelFound,
    () => registry.findParentModel(message.model),
    {
      model: message.model,
    },
  );
  if (!parent) {
    throw new NotFoundError(
      `no version of ${message.model} is registered yet; waiting for ${message.commit}`,
      {
        retryable: true,
        details: { model: message.model, commit: message.commit },
      },
    );
  }
  const versions = await versionsOfCommit(message.commit, (labels) =>
    recordedCall(
      trace,
      DeployAction.versionsListed,
      () => registry.findVersions(parent.modelResource, labels),
      {
        modelResource: parent.modelResource,
        labels,
      },
    ),
  );
  const commits = [...new Set(versions.map((v) => v.labels[Label.commit] ?? message.commit))];
  // A short SHA may abbreviate two commits: then which one to deploy is not ours to guess.
  if (commits.some((commit) => !commits.every((other) => sameCommit(commit, other)))) {
    throw new ArtifactError(
      `${message.commit} is ambiguous: versions of ${message.model} are registered for ${commits.join(", ")}; name the full SHA`,
      { details: { model: message.model, commit: message.commit, commits } },
    );
  }
  const version = versions[0];
  if (!version) {
    throw new NotFoundError(
      `${message.model}@${message.commit} is not registered yet; the promotion waits for it`,
      {
        retryable: true,
        details: { modelResource: parent.modelResource, commit: message.commit },
      },
    );
  }
  return { version, commit: fullestCommit(message.commit, ...commits) };
}

async function announce(
  message: DeploymentRequested,
  plan: CanaryPlan,
  deps: DeployModelDeps,
  now: () => Date,
): Promise<void> {
  const ready: DeploymentReady = {
    ...followUp(message, deps.cause, now()),
    ...plannedDeployment(plan),
    ...(plan.rolloutStep === undefined ? {} : { rolloutStep: plan.rolloutStep }),
    ...(message.release ? { release: message.release } : {}),
  };
  const messageId = await deps.publisher.publish(Topic.deploymentReady, ready);
  deps.trace.logger.info("deployment-ready published", { messageId, deployedModelId: plan.deployedModelId });
  const step = { index: plan.rolloutStep ?? 0, percent: plan.canaryPercent };
  const of = rolloutSteps(modelConfig(deps.config, message.model)).length;
  await notifyGithubAbout(message, stepUnderWay(plan.endpoint, { ...step, of }, "verifying"), deps);
  await deps.trace.record({
    action: DeployAction.deploymentReadyPublished,
    outcome: Outcome.succeeded,
    details: {
      messageId,
      canaryPercent: plan.canaryPercent,
      previousTrafficSplit: plan.previousTrafficSplit,
      rolloutStep: plan.rolloutStep ?? 0,
    },
  });
}
