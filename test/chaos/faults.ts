import type { LocalVertexServer } from "../../local/vertex/server.js";
import type { FunctionName } from "../../shared/topology.js";
import type { Rng } from "./rng.js";

type VertexFaults = LocalVertexServer["faults"];

/** A point inside a step where the function's process is SIGKILLed, recognised in the Vertex AI request log. */
export interface KillPoint {
  fn: FunctionName;
  /** The Vertex AI method whose successful answer marks the point. */
  after: string;
  label: string;
}

export const killPoints: readonly KillPoint[] = [
  { fn: "launchTraining", after: "ListCustomJobs", label: "between claim and CreateCustomJob" },
  { fn: "launchTraining", after: "CreateCustomJob", label: "between CreateCustomJob and claim completion" },
  { fn: "registerModel", after: "UploadModel", label: "between UploadModel and publish" },
  { fn: "deployModel", after: "DeployModel", label: "between DeployModel and deployment-ready" },
  { fn: "verifyDeployment", after: "Predict", label: "inside verification (after a Predict)" },
  // In a rollout in steps, the first UpdateEndpoint moves to the next step: the kill lands between steps.
  {
    fn: "rolloutModel",
    after: "UpdateEndpoint",
    label: "between traffic move and undeploy (or the next step)",
  },
];

/** Vertex AI methods that get UNAVAILABLE / RESOURCE_EXHAUSTED injected. */
export const faultableMethods = [
  "ListCustomJobs",
  "CreateCustomJob",
  "ListModelVersions",
  "UploadModel",
  "GetEndpoint",
  "DeployModel",
  "UpdateEndpoint",
  "UndeployModel",
  "MergeVersionAliases",
  "UpdateModel",
  "Predict",
  "GetOperation",
] as const;
/** Methods whose long-running operation may be made to fail. */
export const operationMethods = ["UploadModel", "DeployModel", "UndeployModel"] as const;
export const operationFaultMessage = (method: string) => `chaos: injected ${method} operation failure`;

/** Injects one commit's Vertex AI faults (transient errors, late and failing operations); returns the errors injected. */
export function injectVertexFaults(faults: VertexFaults, r: Rng): number {
  let injected = 0;
  for (let i = r.int(1, 3); i > 0; i--) {
    const count = r.int(1, 2);
    faults.failNext(r.pick(faultableMethods), count, r.chance(0.5) ? "UNAVAILABLE" : "RESOURCE_EXHAUSTED");
    injected += count;
  }
  const late = r.chance(0.5) ? r.int(50, 400) : 0;
  faults.latency("GetOperation", late);
  faults.latency("WaitOperation", late);
  if (r.chance(0.5)) {
    const method = r.pick(operationMethods);
    faults.failOperation(method, 1, operationFaultMessage(method));
  }
  return injected;
}
