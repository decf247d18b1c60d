import { NotFoundError } from "../../shared/errors.js";
import type { LedgerAction } from "../../shared/ledger-actions.js";
import { RolloutAction } from "../../shared/ledger-actions.js";
import type { EndpointDeployer, EndpointState } from "../../shared/model-ports.js";
import { recordedCall, type TraceContext } from "../../shared/recorded-call.js";
import { sameRouting } from "../../shared/traffic-split.js";

type EndpointDeps = { deployer: EndpointDeployer; trace: TraceContext };

/** Sets the endpoint's split to `to` unless it already routes that way; true when it changed it. */
export async function routeTraffic(
  { deployer, trace }: EndpointDeps,
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
export async function undeployIfPresent(
  endpoint: string,
  id: string,
  remainingSplit: Record<string, number>,
  action: LedgerAction,
  { deployer, trace }: EndpointDeps,
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
