import type { ReleaseOrigin } from "../../shared/contracts.js";
import { TransientError } from "../../shared/errors.js";
import type { BlobStore } from "../../shared/ports.js";

/**
 * What deployModel decided before it deployed: above all the split to restore on rollback. Vertex AI forgets the
 * split it replaced, so a repeat that finds the canary already deployed (the first attempt died before publishing)
 * reads the previous split from here instead of guessing it back from rounded shares.
 */
export interface CanaryPlan {
  model: string;
  commit: string;
  correlationId: string;
  endpoint: string;
  modelResource: string;
  versionId: string;
  deployedModelId: string;
  canaryPercent: number;
  previousTrafficSplit: Record<string, number>;
  previousDeployedModelId?: string;
  /** The rollout step the canary starts at (the last one for a first deployment); absent in older plans: 0. */
  rolloutStep?: number;
  /** The release this deployment applies: every message of its rollout carries it, so the end is recorded. */
  release?: ReleaseOrigin;
  plannedAt: string;
}

/** The deployment fields of the messages about a planned canary (deployment-ready, an abort's fail). */
export function plannedDeployment(plan: CanaryPlan) {
  return {
    endpoint: plan.endpoint,
    modelResource: plan.modelResource,
    versionId: plan.versionId,
    deployedModelId: plan.deployedModelId,
    canaryPercent: plan.canaryPercent,
    previousTrafficSplit: plan.previousTrafficSplit,
    ...(plan.previousDeployedModelId ? { previousDeployedModelId: plan.previousDeployedModelId } : {}),
    ...(plan.release ? { release: plan.release } : {}),
  };
}

/** `registry/<model>/deployments/<commit>.json`: next to the registration CI already reads. */
export function canaryPlanPath(model: string, commit: string): string {
  return `registry/${model}/deployments/${commit}.json`;
}

/** The stored plan for a commit and its generation, or null. */
export async function readCanaryPlan(
  blobs: BlobStore,
  model: string,
  commit: string,
): Promise<{ plan: CanaryPlan; generation: string } | null> {
  const found = await blobs.read(canaryPlanPath(model, commit));
  return found
    ? { plan: JSON.parse(found.data.toString("utf8")) as CanaryPlan, generation: found.generation }
    : null;
}

/**
 * Stores a plan only if the object is still the one read before (`generation`, "0" for none): of two requests
 * racing to canary the same commit, one plans and deploys, the other retries and finds the canary in progress.
 */
export async function writeCanaryPlan(blobs: BlobStore, plan: CanaryPlan, generation: string): Promise<void> {
  const written = await blobs.write(
    canaryPlanPath(plan.model, plan.commit),
    `${JSON.stringify(plan, null, 2)}\n`,
    {
      contentType: "application/json",
      ifGenerationMatch: generation,
    },
  );
  if (!written.written) {
    throw new TransientError(`another request is deploying ${plan.model}@${plan.commit} right now`, {
      details: { object: canaryPlanPath(plan.model, plan.commit) },
    });
  }
}
