import type { EndpointState } from "../../shared/model-ports.js";
import { servingShares, type TrafficSplit } from "../../shared/traffic-split.js";

/** The version a model's applied release says should serve: all the endpoint's traffic and the production alias. */
export interface DeclaredVersion {
  modelResource: string;
  versionId: string;
}

/** One way an endpoint differs from its applied release. */
export type Difference =
  | { kind: "not-deployed"; expected: DeclaredVersion; summary: string }
  | { kind: "traffic"; expected: TrafficSplit; actual: TrafficSplit; summary: string }
  | { kind: "alias"; expectedVersionId: string; actualVersionId: string | null; summary: string };

/**
 * How the endpoint and the model's `production` alias differ from the declared version: the version not deployed
 * at all; deployed, but not with all the traffic (another model serving some, by hand or by a canary); the alias on
 * another version, or on none. An empty list means no drift. Deployed models without traffic are not drift: they
 * serve nothing.
 */
export function endpointDrift(
  declared: DeclaredVersion,
  endpoint: Pick<EndpointState, "deployedModels" | "trafficSplit">,
  productionVersionId: string | null,
): Difference[] {
  const differences: Difference[] = [];
  const deployed = endpoint.deployedModels.find(
    (d) => d.modelResource === declared.modelResource && d.versionId === declared.versionId,
  );
  const actual = servingShares(endpoint.trafficSplit);
  if (deployed === undefined) {
    differences.push({
      kind: "not-deployed",
      expected: declared,
      summary: `version ${declared.versionId} is not deployed on the endpoint${describeServing(endpoint, actual)}`,
    });
  } else if (actual[deployed.id] !== 100) {
    const expected = { [deployed.id]: 100 };
    differences.push({
      kind: "traffic",
      expected,
      actual,
      summary: `version ${declared.versionId} (deployed model ${deployed.id}) has ${actual[deployed.id] ?? 0} % of the traffic, not 100 %${describeServing(endpoint, actual, deployed.id)}`,
    });
  }
  if (productionVersionId !== declared.versionId) {
    differences.push({
      kind: "alias",
      expectedVersionId: declared.versionId,
      actualVersionId: productionVersionId,
      summary:
        productionVersionId === null
          ? `no version carries the production alias; version ${declared.versionId} should`
          : `the production alias is on version ${productionVersionId}, not ${declared.versionId}`,
    });
  }
  return differences;
}

/** What else serves: `; deployed model 123 (version 4) has 30 %`. */
function describeServing(
  endpoint: Pick<EndpointState, "deployedModels">,
  shares: TrafficSplit,
  except?: string,
): string {
  const others = Object.entries(shares)
    .filter(([id]) => id !== except)
    .map(([id, percent]) => {
      const version = endpoint.deployedModels.find((d) => d.id === id)?.versionId;
      return `deployed model ${id}${version === undefined ? "" : ` (version ${version})`} has ${percent} %`;
    });
  return others.length === 0 ? "" : `; ${others.join(", ")}`;
}
