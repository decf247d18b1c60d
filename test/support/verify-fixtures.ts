import type { VerifyDeps } from "../../functions/verify-deployment/verify-deployment.js";
import type { DeploymentReady } from "../../shared/contracts.js";
import { NumericHistogram } from "../../shared/drift.js";
import { createLogger } from "../../shared/logger.js";
import type { Manifest } from "../../shared/manifest.js";
import type { ServingPredictor } from "../../shared/vertex/prediction-adapter.js";

/**
 * A commit's modelgate.json as verification reads it: recorded `accuracy`, and a training baseline whose scores
 * spread evenly over [0, 1] in ten bins (what an identity model gives on an evenly spread golden set).
 */
export function verifyManifestFor(model: string, commit: string, accuracy: number): Manifest {
  const baseline = NumericHistogram.uniform(0, 1, 10);
  for (let i = 0; i < 500; i++) baseline.add((i + 0.5) / 500);
  return {
    schemaVersion: 1,
    model,
    commit,
    repository: "acme/fraud-detector",
    framework: "test",
    metrics: { accuracy },
    baseline: baseline.toBaseline(),
    serving: { container: "us-docker.pkg.dev/p/r/serving:1", outputKey: "score" },
    artifactDir: "model/",
    created: "2026-01-01T00:00:00Z",
  };
}

/**
 * deployment-ready for `commit` of `model` on its endpoint, as deployModel publishes it: the candidate deployed as
 * `deployedModelId` at `canaryPercent`, beside `previousId` (serving all traffic before) when there is one.
 */
export function verifyDeploymentReady(
  model: string,
  commit: string,
  deployment: { deployedModelId: string; canaryPercent: number; previousId?: string | undefined },
): DeploymentReady {
  const { deployedModelId, canaryPercent, previousId } = deployment;
  return {
    schemaVersion: 1,
    correlationId: "corr-verify",
    model,
    commit,
    repository: "acme/fraud-detector",
    causedBy: [{ source: "pubsub:deployment-requested", id: "m-0" }],
    createdAt: "2026-01-01T00:00:00.000Z",
    endpoint: `projects/local-project/locations/us-central1/endpoints/${model}`,
    modelResource: `projects/local-project/locations/us-central1/models/${model}`,
    versionId: "2",
    deployedModelId,
    canaryPercent,
    previousTrafficSplit: previousId ? { [previousId]: 100 } : {},
    ...(previousId ? { previousDeployedModelId: previousId } : {}),
  };
}

/**
 * verifyDeployment's ports for a run whose serving version and endpoint are already known (the fixed work: only
 * the golden set and the predictor are used); records and logs go nowhere.
 */
export function fixedWorkDeps(
  ports: Pick<VerifyDeps, "blobs" | "publisher"> & { predictor: ServingPredictor },
  cause: VerifyDeps["cause"],
): VerifyDeps {
  return {
    blobs: ports.blobs,
    publisher: ports.publisher,
    predictor: () => ports.predictor,
    registry: () => ({ getVersion: () => Promise.reject(new Error("not used")) }),
    endpoints: () => ({ getEndpoint: () => Promise.reject(new Error("not used")) }),
    record: async () => undefined,
    logger: createLogger({}, () => undefined),
    cause,
  };
}
