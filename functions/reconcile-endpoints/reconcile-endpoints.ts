import { createHash } from "node:crypto";
import { sameCommit } from "../../shared/commit.js";
import { type Config, endpointName, findModelConfig } from "../../shared/config.js";
import type { Cause, DeploymentRequested, ReconcileRequested } from "../../shared/contracts.js";
import { describeError, isRetryable, NotFoundError } from "../../shared/errors.js";
import { runOnce } from "../../shared/ingress/once.js";
import { Outcome } from "../../shared/ledger.js";
import { ReconcileAction } from "../../shared/ledger-actions.js";
import { Label, productionAlias } from "../../shared/model-ports.js";
import type { BlobStore, ClaimStore, Ledger, Publisher } from "../../shared/ports.js";
import {
  type AppliedRelease,
  listAppliedReleases,
  ReleaseState,
  type ServingRelease,
  servingRelease,
} from "../../shared/releases/applied-release.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { labelValue } from "../../shared/vertex/labels.js";
import type { ReconcileAdapters } from "./adapters.js";
import { type Difference, endpointDrift } from "./endpoint-drift.js";
import { explainDrift } from "./explain-drift.js";

export interface ReconcileDeps extends ReconcileAdapters {
  config: Config;
  blobs: BlobStore;
  ledger: Ledger;
  claims: ClaimStore;
  publisher: Publisher;
  /** The run: its correlation id (the request's, else its message id) and the cause of what it publishes. */
  run: { correlationId: string; cause: Cause; identity?: string | undefined };
  now?: () => Date;
}

/** What the reconcile found for one model. */
export type ModelReconcile =
  | { model: string; state: "in-sync" }
  | { model: string; state: "skipped"; reason: string }
  | {
      model: string;
      state: "drift";
      differences: Difference[];
      repair: "reported" | "requested" | "already-requested";
    };

/**
 * Compares each model's endpoint and production alias with the release its applied state says serves, records
 * what it finds in the ledger (in sync, skipped and why, or each difference and who or what is known to have made
 * it) and, for a model configured `releases.drift: repair`, asks the chain to deploy the declared release again
 * (once per drift observation). Never calls GitHub: the applied state is in the bucket.
 */
export async function reconcileEndpoints(
  request: ReconcileRequested,
  deps: ReconcileDeps,
): Promise<ModelReconcile[]> {
  const wanted = request.models === undefined ? undefined : new Set(request.models);
  const results: ModelReconcile[] = [];
  for (const applied of await listAppliedReleases(deps.blobs)) {
    if (wanted !== undefined && !wanted.has(applied.model)) continue;
    try {
      results.push(await reconcileModel(applied, request, deps));
    } catch (error) {
      // A transient failure retries the run (each repair is claimed, so nothing is asked twice); a permanent one
      // (an endpoint that does not exist) is this model's answer, and the other models are still reconciled.
      if (isRetryable(error)) throw error;
      const reason = `could not be compared: ${(error as Error).message}`;
      const commit = servingRelease(applied)?.release.commit ?? applied.release.commit;
      await modelRecorder(deps, applied.model, commit)(ReconcileAction.reconcileSkipped, Outcome.failed, {
        reason,
        error: describeError(error),
      });
      results.push({ model: applied.model, state: "skipped", reason });
    }
  }
  return results;
}

async function reconcileModel(
  applied: AppliedRelease,
  request: ReconcileRequested,
  deps: ReconcileDeps,
): Promise<ModelReconcile> {
  const { model } = applied;
  const serving = servingRelease(applied);
  const record = modelRecorder(deps, model, serving?.release.commit ?? applied.release.commit);
  const skip = async (reason: string): Promise<ModelReconcile> => {
    await record(ReconcileAction.reconcileSkipped, Outcome.skipped, { reason });
    return { model, state: "skipped", reason };
  };
  const settings = findModelConfig(deps.config, model);
  if (settings === undefined) return skip(`${model} is not configured; its applied release is left alone`);
  if (applied.state === ReleaseState.requested) {
    return skip(
      `release ${applied.release.commit} is being applied; it is reconciled once it serves or fails`,
    );
  }
  if (serving === undefined) return skip("no release of this model has served yet");

  const declared = await declaredVersion(deps, model, serving);
  if (declared === null) return skip(`commit ${serving.release.commit} has no registered version`);
  const endpoint = await deps.endpoints.getEndpoint(endpointName(deps.config, model));
  const production = await productionVersionId(deps, declared.modelResource);
  const differences = endpointDrift(declared, endpoint, production);
  if (differences.length === 0) {
    await record(ReconcileAction.inSync, Outcome.succeeded, { versionId: declared.versionId });
    return { model, state: "in-sync" };
  }

  const { cause, latestRecord } = await explainDrift(deps.ledger, model, serving.updatedAt);
  const observation = observationKey(model, serving, differences, latestRecord);
  const mode = request.dryRun === true ? "dry-run" : settings.releases.drift;
  // The repair is asked for before the drift is recorded, so the drift record (what `modelgate reconcile` waits
  // for) says what became of it.
  const repair =
    mode === "repair"
      ? await requestRepair(deps, serving, settings.repository, observation, model)
      : ("reported" as const);
  await record(ReconcileAction.driftDetected, Outcome.failed, {
    declared: {
      commit: serving.release.commit,
      versionId: declared.versionId,
      declaredBy: serving.declaredBy,
    },
    differences,
    changedBy: cause,
    mode,
    repair,
    observation,
  });
  return { model, state: "drift", differences, repair };
}

/** The version the serving release's commit became: recorded in the applied state, else found by its label. */
async function declaredVersion(
  deps: ReconcileDeps,
  model: string,
  serving: ServingRelease,
): Promise<{ modelResource: string; versionId: string } | null> {
  const parent = await deps.registry.findParentModel(model);
  if (parent === null) return null;
  if (serving.versionId !== undefined)
    return { modelResource: parent.modelResource, versionId: serving.versionId };
  const versions = await deps.registry.findVersions(parent.modelResource, {
    [Label.commit]: labelValue(serving.release.commit),
  });
  const version = versions.find((v) => sameCommit(v.labels[Label.commit] ?? "", serving.release.commit));
  return version === undefined ? null : { modelResource: parent.modelResource, versionId: version.versionId };
}

async function productionVersionId(deps: ReconcileDeps, modelResource: string): Promise<string | null> {
  try {
    return (await deps.registry.getVersion(modelResource, productionAlias)).versionId;
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/**
 * One drift observation: the model, the release, what differs, and the newest ledger record of the model. A
 * reconcile that sees the same drift again (nothing recorded since) asks for no second repair; the same drift made
 * again after a repair is a new observation, repaired again.
 */
function observationKey(
  model: string,
  serving: ServingRelease,
  differences: Difference[],
  latestRecord: string | null,
): string {
  const seen = JSON.stringify([model, serving.release.commit, differences, latestRecord]);
  return createHash("sha256").update(seen).digest("hex").slice(0, 32);
}

/** Publishes deployment-requested (reason release-repair) for the serving release, once per observation. */
async function requestRepair(
  deps: ReconcileDeps,
  serving: ServingRelease,
  repository: string,
  observation: string,
  model: string,
): Promise<"requested" | "already-requested"> {
  const now = deps.now ?? (() => new Date());
  const correlationId = `repair-${observation}`;
  const outcome = await runOnce(
    deps.claims,
    FunctionName.reconcileEndpoints,
    `repair:${model}:${observation}`,
    async () => {
      const message: DeploymentRequested = {
        schemaVersion: 1,
        correlationId,
        model,
        commit: serving.release.commit,
        repository,
        causedBy: [deps.run.cause],
        createdAt: now().toISOString(),
        reason: "release-repair",
        requestedBy: "modelgate reconcile",
        ...(serving.release.canaryPercent === undefined
          ? {}
          : { canaryPercent: serving.release.canaryPercent }),
        release: { declaredBy: serving.declaredBy.commit },
      };
      const messageId = await deps.publisher.publish(Topic.deploymentRequested, message);
      await modelRecorder(deps, model, serving.release.commit)(
        ReconcileAction.repairRequested,
        Outcome.accepted,
        {
          topic: Topic.deploymentRequested,
          messageId,
          repairCorrelationId: correlationId,
          observation,
        },
      );
      return messageId;
    },
  );
  return outcome.state === "done" ? "requested" : "already-requested";
}

function modelRecorder(deps: ReconcileDeps, model: string, commit: string) {
  return async (
    action: (typeof ReconcileAction)[keyof typeof ReconcileAction],
    outcome: Outcome,
    details: Record<string, unknown>,
  ): Promise<void> => {
    await deps.ledger.append({
      model,
      commit,
      step: FunctionName.reconcileEndpoints,
      action,
      outcome,
      correlationId: deps.run.correlationId,
      causedBy: [deps.run.cause],
      details,
      ...(deps.run.identity === undefined ? {} : { identity: deps.run.identity }),
    });
  };
}
