import { type Config, endpointName } from "../../shared/config.js";
import { Verdict, type VerificationCompleted } from "../../shared/contracts.js";
import { NotFoundError, UpstreamError, ValidationError } from "../../shared/errors.js";
import { Outcome } from "../../shared/ledger.js";
import { type LedgerAction, RolloutAction } from "../../shared/ledger-actions.js";
import {
  type EndpointDeployer,
  type EndpointState,
  Label,
  type ModelRegistry,
} from "../../shared/model-ports.js";
import { recordedCall, type TraceContext } from "../../shared/recorded-call.js";
import { promotedSplit, rollbackSplit, sameRouting } from "../../shared/traffic-split.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";

/** What rolloutModel needs: the endpoint, the registry (alias and verdict label), configuration and a trace. */
export interface RolloutModelDeps {
  registry: ModelRegistry;
  deployer: EndpointDeployer;
  config: Config;
  trace: TraceContext;
}

/** The alias that follows the version serving production traffic. */
const productionAlias = "production";

/** The value of the version's verdict label for each verdict. */
const verdictLabel = { pass: "passed", fail: "failed" } as const satisfies Record<Verdict, string>;

export interface RolloutModelResult {
  verdict: Verdict;
  /** The sub-steps this attempt carried out; the rest were found done already. */
  performed: string[];
  trafficSplit: Record<string, number>;
}

/**
 * Ends a canary. Pass: all traffic to the candidate, the `production` alias moved to its version, the models that
 * served before undeployed. Fail: the split from before the canary restored exactly, the candidate undeployed.
 * Either way the version is labelled with the verdict. Each sub-step looks at the current state first and does
 * only what is still missing, so a repeat after a crash half-way finishes the job and a second repeat does nothing.
 */
export async function rolloutModel(
  message: VerificationCompleted,
  deps: RolloutModelDeps,
): Promise<RolloutModelResult> {
  checkTarget(message, deps.config);
  const state = await recordedCall(
    deps.trace,
    RolloutAction.endpointRead,
    () => deps.deployer.getEndpoint(message.endpoint),
    {
      endpoint: message.endpoint,
    },
  );
  const performed =
    message.verdict === Verdict.pass
      ? await promote(message, state, deps)
      : await rollBack(message, state, deps);
  performed.push(...(await labelVerdict(message, deps)));
  const final = await recordedCall(
    deps.trace,
    RolloutAction.endpointRead,
    () => deps.deployer.getEndpoint(message.endpoint),
    {
      endpoint: message.endpoint,
    },
  );
  await deps.trace.record({
    action:
      message.verdict === Verdict.pass ? RolloutAction.rolloutCompleted : RolloutAction.rollbackCompleted,
    outcome: Outcome.succeeded,
    details: { performed, trafficSplit: final.trafficSplit, deployedModels: final.deployedModels },
  });
  return { verdict: message.verdict, performed, trafficSplit: final.trafficSplit };
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

/** Sets the endpoint's split to `to` unless it already routes that way; true when it changed it. */
async function routeTraffic(
  { deployer, trace }: Pick<RolloutModelDeps, "deployer" | "trace">,
  move: { endpoint: string; from: EndpointState; to: Record<string, number>; action: LedgerAction },
): Promise<boolean> {
  if (sameRouting(move.from.trafficSplit, move.to)) return false;
  await recordedCall(trace, move.action, () => deployer.setTrafficSplit(move.endpoint, move.to), {
    endpoint: move.endpoint,
    trafficSplit: move.to,
  });
  return true;
}

/** Undeploys a model that no longer has traffic; one that vanished meanwhile is already where we want it. */
async function undeployIfPresent(
  endpoint: string,
  id: string,
  remainingSplit: Record<string, number>,
  action: LedgerAction,
  { deployer, trace }: Pick<RolloutModelDeps, "deployer" | "trace">,
): Promise<boolean> {
  const remaining = Object.keys(remainingSplit).length > 0 ? remainingSplit : undefined;
  try {
    await recordedCall(trace, action, () => deployer.undeploy(endpoint, id, remaining), {
      endpoint,
      deployedModelId: id,
      ...(remaining ? { trafficSplit: remaining } : {}),
    });
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) {
      const now = await recordedCall(
        trace,
        RolloutAction.endpointRead,
        () => deployer.getEndpoint(endpoint),
        {
          endpoint,
        },
      );
      if (!now.deployedModels.some((deployed) => deployed.id === id)) return false;
    }
    throw error;
  }
}

async function labelVerdict(
  message: VerificationCompleted,
  { registry, trace }: RolloutModelDeps,
): Promise<string[]> {
  const verdict = verdictLabel[message.verdict];
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

/** The message must be about this model's configured endpoint and the canary deployModel would have made. */
function checkTarget(message: VerificationCompleted, config: Config): void {
  const endpoint = endpointName(config, message.model);
  const expectedId = deployedModelId(message.model, message.commit);
  const issues = [
    ...(message.endpoint === endpoint
      ? []
      : [{ path: "endpoint", message: `expected ${endpoint}, the configured endpoint of ${message.model}` }]),
    ...(message.deployedModelId === expectedId
      ? []
      : [
          {
            path: "deployedModelId",
            message: `expected ${expectedId}, the canary id of ${message.model}@${message.commit}`,
          },
        ]),
  ];
  if (issues.length > 0) {
    throw new ValidationError(
      `verification-completed for ${message.model}@${message.commit} names a target modelgate did not deploy`,
      issues,
    );
  }
}
