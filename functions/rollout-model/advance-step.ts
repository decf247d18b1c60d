import {
  type Cause,
  type DeploymentReady,
  followUp,
  type VerificationCompleted,
} from "../../shared/contracts.js";
import { ConfigError } from "../../shared/errors.js";
import { Outcome } from "../../shared/ledger.js";
import { RolloutAction } from "../../shared/ledger-actions.js";
import type { EndpointDeployer, EndpointState } from "../../shared/model-ports.js";
import type { Publisher } from "../../shared/ports.js";
import type { TraceContext } from "../../shared/recorded-call.js";
import type { RolloutStep } from "../../shared/rollout-plan.js";
import { type StepScheduler, stepTaskId } from "../../shared/step-scheduler.js";
import { Topic } from "../../shared/topology.js";
import { canarySplit } from "../../shared/traffic-split.js";
import { routeTraffic } from "./endpoint-moves.js";

export interface AdvanceDeps {
  deployer: EndpointDeployer;
  publisher: Publisher;
  /** Schedules a step after its bake; only a rollout with bakes needs one. */
  scheduler?: StepScheduler;
  trace: TraceContext;
  cause: Cause;
  now: () => Date;
}

/**
 * Moves the candidate to `step`'s share — the split computed from the one before the rollout began, as deployModel
 * computed the first step's, never from the rounded shares now on the endpoint — and hands the step to
 * verification: at once, or after its bake through a task with a deterministic name. Each part looks first: a
 * repeat finds the split in place and the task already scheduled (or its message a duplicate verification drops).
 */
export async function advanceStep(
  message: VerificationCompleted,
  state: EndpointState,
  step: RolloutStep,
  deps: AdvanceDeps,
): Promise<string[]> {
  const candidate = message.deployedModelId;
  const performed: string[] = [];
  const target = canarySplit(message.previousTrafficSplit, candidate, step.traffic);
  const move = { endpoint: message.endpoint, from: state, to: target, action: RolloutAction.trafficAdvanced };
  if (await routeTraffic(deps, move)) performed.push(RolloutAction.trafficAdvanced);

  const now = deps.now();
  const ready: DeploymentReady = {
    ...followUp(message, deps.cause, now),
    endpoint: message.endpoint,
    modelResource: message.modelResource,
    versionId: message.versionId,
    deployedModelId: candidate,
    canaryPercent: target[candidate] ?? step.traffic,
    previousTrafficSplit: message.previousTrafficSplit,
    ...(message.previousDeployedModelId ? { previousDeployedModelId: message.previousDeployedModelId } : {}),
    rolloutStep: step.index,
    ...(message.release ? { release: message.release } : {}),
  };
  if (step.bakeMs === undefined) {
    const messageId = await deps.publisher.publish(Topic.deploymentReady, ready);
    await deps.trace.record({
      action: RolloutAction.stepPublished,
      outcome: Outcome.succeeded,
      details: { step: step.index, traffic: step.traffic, trafficSplit: target, messageId },
    });
    performed.push(RolloutAction.stepPublished);
    return performed;
  }
  if (!deps.scheduler) {
    throw new ConfigError(
      `step ${step.index} of ${message.model} has a bake but rolloutModel has no scheduler`,
    );
  }
  const name = stepTaskId(message, step.index);
  const at = new Date(now.getTime() + step.bakeMs);
  const scheduled = await deps.scheduler.schedule(name, ready, at);
  await deps.trace.record({
    action: RolloutAction.stepScheduled,
    outcome: scheduled === "scheduled" ? Outcome.succeeded : Outcome.skipped,
    details: {
      step: step.index,
      traffic: step.traffic,
      trafficSplit: target,
      task: name,
      scheduledAt: now.toISOString(),
      scheduleTime: at.toISOString(),
      scheduled,
    },
  });
  performed.push(RolloutAction.stepScheduled);
  return performed;
}
