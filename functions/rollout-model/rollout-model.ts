import { type Config, modelConfig } from "../../shared/config.js";
import type { Cause, VerificationCompleted } from "../../shared/contracts.js";
import { UpstreamError } from "../../shared/errors.js";
import { notifyGithubAbout } from "../../shared/github/notifications.js";
import { Outcome } from "../../shared/ledger.js";
import { RolloutAction } from "../../shared/ledger-actions.js";
import {
  type EndpointDeployer,
  type EndpointState,
  Label,
  type ModelRegistry,
  productionAlias,
} from "../../shared/model-ports.js";
import type { Publisher } from "../../shared/ports.js";
import { recordedCall, type TraceContext } from "../../shared/recorded-call.js";
import { rolloutStep, rolloutSteps } from "../../shared/rollout-plan.js";
import type { StepScheduler } from "../../shared/step-scheduler.js";
import { promotedSplit, rollbackSplit } from "../../shared/traffic-split.js";
import { advanceStep } from "./advance-step.js";
import { checkResume, checkTarget } from "./check-message.js";
import { routeTraffic, undeployIfPresent } from "./endpoint-moves.js";
import { rolloutStatus } from "./github-status.js";
import { nextMove, PauseReason, type RolloutMove } from "./next-move.js";

/**
 * What rolloutModel needs: the endpoint, the registry (alias and verdict label), a publisher and a scheduler for
 * the next step, configuration and a trace.
 */
export interface RolloutModelDeps {
  registry: ModelRegistry;
  deployer: EndpointDeployer;
  publisher: Publisher;
  scheduler?: StepScheduler;
  config: Config;
  trace: TraceContext;
  cause: Cause;
  now?: () => Date;
}

/** The value of the version's verdict label at the end of a rollout. */
const verdictLabel = { finish: "passed", "roll-back": "failed" } as const;

export interface RolloutModelResult {
  move: RolloutMove["kind"];
  /** The sub-steps this attempt carried out; the rest were found done already. */
  performed: string[];
  trafficSplit: Record<string, number>;
}

/**
 * Acts on a step's verdict (functions/rollout-model/next-move.ts). Finish — the last step passed: all traffic to
 * the candidate, the `production` alias moved to its version, the models that served before undeployed. Roll back
 * — a fail or an abort at any step: the split from before the rollout began restored exactly, the candidate
 * undeployed. Either way the version is labelled. Advance — the next step's share and its verification, at once or
 * after its bake. Pause — a step waits for `modelgate promote` or `abort`, recorded with the reason. Each sub-step
 * looks at the current state first and does only what is still missing, so a repeat after a crash half-way
 * finishes the job and a second repeat does nothing.
 */
export async function rolloutModel(
  message: VerificationCompleted,
  deps: RolloutModelDeps,
): Promise<RolloutModelResult> {
  checkTarget(message, deps.config);
  const model = modelConfig(deps.config, message.model);
  const at = rolloutStep(model, message.model, message.rolloutStep ?? 0);
  checkResume(message, model.promotion.promoters);
  const steps = rolloutSteps(model);
  const move = nextMove(message, steps);
  const tellGithub = () => notifyGithubAbout(message, rolloutStatus(message, move, steps), deps);
  const readEndpoint = () =>
    recordedCall(deps.trace, RolloutAction.endpointRead, () => deps.deployer.getEndpoint(message.endpoint), {
      endpoint: message.endpoint,
    });
  const state = await readEndpoint();
  if (message.resume) await recordResume(message, deps);
  if (move.kind === "pause") {
    await recordPause(message, move.step, move.reason, deps);
    await tellGithub();
    return { move: move.kind, performed: [], trafficSplit: state.trafficSplit };
  }
  if (move.kind === "advance") {
    if (!isDeployed(state, message.deployedModelId)) return supersede(message, at.index, state, deps);
    const performed = await advanceStep(message, state, move.step, {
      ...deps,
      now: deps.now ?? (() => new Date()),
    });
    await tellGithub();
    return { move: move.kind, performed, trafficSplit: (await readEndpoint()).trafficSplit };
  }
  const performed =
    move.kind === "finish" ? await promote(message, state, deps) : await rollBack(message, state, deps);
  performed.push(...(await labelVerdict(message, verdictLabel[move.kind], deps)));
  const final = await readEndpoint();
  await tellGithub();
  await deps.trace.record({
    action: move.kind === "finish" ? RolloutAction.rolloutCompleted : RolloutAction.rollbackCompleted,
    outcome: Outcome.succeeded,
    details: {
      performed,
      step: at.index,
      trafficSplit: final.trafficSplit,
      deployedModels: final.deployedModels,
      ...(message.resume ? { resume: message.resume } : {}),
    },
  });
  return { move: move.kind, performed, trafficSplit: final.trafficSplit };
}

function isDeployed(state: EndpointState, id: string): boolean {
  return state.deployedModels.some((deployed) => deployed.id === id);
}

/** A pass for a candidate that is gone (aborted or rolled back meanwhile) must not bring it back: recorded, done. */
async function supersede(
  message: VerificationCompleted,
  step: number,
  state: EndpointState,
  { trace }: RolloutModelDeps,
): Promise<RolloutModelResult> {
  trace.logger.info(
    `the candidate ${message.deployedModelId} is no longer deployed; step ${step}'s verdict changes nothing`,
  );
  await trace.record({
    action: RolloutAction.stepSuperseded,
    outcome: Outcome.skipped,
    details: { step, verdict: message.verdict, deployedModels: state.deployedModels.map((d) => d.id) },
  });
  return { move: "advance", performed: [], trafficSplit: state.trafficSplit };
}

/** The pause, with everything `modelgate promote` needs to re-send this verdict (details.verification). */
async function recordPause(
  message: VerificationCompleted,
  step: number,
  reason: PauseReason,
  { trace }: RolloutModelDeps,
): Promise<void> {
  const why =
    reason === PauseReason.approval
      ? `step ${step + 1} needs approval: modelgate promote ${message.model} --commit ${message.commit}`
      : `step ${step + 1} is inconclusive: ${message.reasons.join("; ")}`;
  trace.logger.info(`rollout of ${message.model}@${message.commit} paused: ${why}`);
  await trace.record({
    action:
      reason === PauseReason.approval ? RolloutAction.awaitingApproval : RolloutAction.pausedInconclusive,
    outcome: Outcome.succeeded,
    details: {
      step,
      reason: why,
      verdict: message.verdict,
      reportUri: message.reportUri,
      verification: message,
    },
  });
}

/** Who promoted or aborted, and when, goes to the ledger before the move it asks for. */
async function recordResume(message: VerificationCompleted, { trace }: RolloutModelDeps): Promise<void> {
  const resume = message.resume;
  if (!resume) return;
  await trace.record({
    action: resume.action === "abort" ? RolloutAction.aborted : RolloutAction.resumed,
    outcome: Outcome.accepted,
    details: { resume, step: message.rolloutStep ?? 0, verdict: message.verdict },
  });
}

async function promote(
  message: VerificationCompleted,
  state: EndpointState,
  { deployer, registry, trace }: RolloutModelDeps,
): Promise<string[]> {
  const candidate = message.deployedModelId;
  const performed: string[] = [];
  if (!state.deployedModels.some((deployed) => deployed.id === candidate)) {
    throw new UpstreamError(
      `the candidate ${candidate} passed verification but is no longer deployed on ${message.endpoint}; not promoting`,
      { details: { endpoint: message.endpoint, deployedModels: state.deployedModels.map((d) => d.id) } },
    );
  }
  const target = promotedSplit(candidate);
  const move = { endpoint: message.endpoint, from: state, to: target, action: RolloutAction.trafficPromoted };
  if (await routeTraffic({ deployer, trace }, move)) performed.push(RolloutAction.trafficPromoted);

  const version = await recordedCall(
    trace,
    RolloutAction.modelVersionRead,
    () => registry.getVersion(message.modelResource, message.versionId),
    { modelResource: message.modelResource, versionId: message.versionId },
  );
  if (!version.aliases.includes(productionAlias)) {
    await recordedCall(
      trace,
      RolloutAction.productionAliasMoved,
      () => registry.mergeAliases(message.modelResource, message.versionId, [productionAlias], []),
      { modelResource: message.modelResource, versionId: message.versionId, alias: productionAlias },
    );
    performed.push(RolloutAction.productionAliasMoved);
  }

  // Only the models that served before the canary: anything else on the endpoint is not this rollout's to remove.
  const previous = new Set(Object.keys(message.previousTrafficSplit));
  if (message.previousDeployedModelId) previous.add(message.previousDeployedModelId);
  previous.delete(candidate);
  for (const deployed of state.deployedModels) {
    if (!previous.has(deployed.id)) continue;
    const undeployed = await undeployIfPresent(
      message.endpoint,
      deployed.id,
      target,
      RolloutAction.previousModelUndeployed,
      { deployer, trace },
    );
    if (undeployed) performed.push(`${RolloutAction.previousModelUndeployed}:${deployed.id}`);
  }
  return performed;
}

async function rollBack(
  message: VerificationCompleted,
  state: EndpointState,
  { deployer, trace }: RolloutModelDeps,
): Promise<string[]> {
  const candidate = message.deployedModelId;
  const performed: string[] = [];
  if (!state.deployedModels.some((deployed) => deployed.id === candidate)) {
    trace.logger.info(
      `the candidate ${candidate} is not on ${message.endpoint} any more; nothing to roll back`,
    );
    return performed;
  }
  const target = rollbackSplit(message.previousTrafficSplit, candidate);
  const move = { endpoint: message.endpoint, from: state, to: target, action: RolloutAction.trafficRestored };
  if (await routeTraffic({ deployer, trace }, move)) performed.push(RolloutAction.trafficRestored);
  const undeployed = await undeployIfPresent(
    message.endpoint,
    candidate,
    target,
    RolloutAction.candidateUndeployed,
    {
      deployer,
      trace,
    },
  );
  if (undeployed) performed.push(RolloutAction.candidateUndeployed);
  return performed;
}

async function labelVerdict(
  message: VerificationCompleted,
  verdict: string,
  { registry, trace }: RolloutModelDeps,
): Promise<string[]> {
  const version = await recordedCall(
    trace,
    RolloutAction.modelVersionRead,
    () => registry.getVersion(message.modelResource, message.versionId),
    { modelResource: message.modelResource, versionId: message.versionId },
  );
  if (version.labels[Label.verdict] === verdict) return [];
  const labels = { ...version.labels, [Label.verdict]: verdict };
  await recordedCall(
    trace,
    RolloutAction.verdictLabelled,
    () => registry.setLabels(message.modelResource, message.versionId, labels),
    { modelResource: message.modelResource, versionId: message.versionId, labels },
  );
  return [RolloutAction.verdictLabelled];
}
