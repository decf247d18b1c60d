import { sameCommit } from "../../shared/commit.js";
import { modelConfig } from "../../shared/config.js";
import type { ArtifactReady, TrainingRequested } from "../../shared/contracts.js";
import { ArtifactError, ForbiddenError, isRetryable } from "../../shared/errors.js";
import { readVerifiedManifest } from "../../shared/ingress/artifact.js";
import { findBranchPush, isFullCommitSha } from "../../shared/ingress/branch-pushes.js";
import {
  type IngressResponse,
  IngressStatus,
  type PublishedRef,
  respond,
} from "../../shared/ingress/http.js";
import type { IngressContext } from "../../shared/ingress/pipeline.js";
import { Outcome } from "../../shared/ledger.js";
import { IngressAction } from "../../shared/ledger-actions.js";
import { CommitSha } from "../../shared/names.js";
import { Topic } from "../../shared/topology.js";
import type { TektonEventsDeps } from "./handler.js";
import { mapSuccessfulRun, modelsOfRun, type RunIntent } from "./map-run.js";
import type { RunEvent } from "./parse-run-event.js";
import { runValue, type TektonRun } from "./tekton-run.js";

/** What tektonEvents does with a first-seen finished run: publish for a success, record a failure. */
export function actOnRun(deps: TektonEventsDeps, { run, succeeded }: RunEvent, context: IngressContext) {
  return succeeded ? actOnSuccess(deps, run, context) : actOnFailure(deps, run, context);
}

async function actOnSuccess(
  deps: TektonEventsDeps,
  run: TektonRun,
  context: IngressContext,
): Promise<IngressResponse> {
  const { logger } = context;
  const mapping = mapSuccessfulRun(deps.config, run);
  if (mapping.ignored !== undefined) {
    logger.info(`ignored a successful run: ${mapping.ignored}`);
    return respond(200, IngressStatus.ignored, mapping.ignored);
  }
  const published: PublishedRef[] = [];
  const refusals = [...mapping.refused];
  for (const intent of mapping.intents) {
    try {
      const ref = await publishIntent(deps, run, intent, context);
      published.push(ref);
      const artifact = intent.kind === "artifact-ready" ? { artifactUri: intent.location.uri } : {};
      await context.record({
        model: intent.model,
        commit: ref.commit,
        action: ref.topic,
        outcome: Outcome.accepted,
        details: { topic: ref.topic, messageId: ref.messageId, ...artifact },
      });
      logger.info(`published ${ref.topic} for ${intent.model}@${ref.commit}`, { messageId: ref.messageId });
    } catch (error) {
      if (isRetryable(error)) throw error;
      const reason = `${intent.model}: ${(error as Error).message}`;
      refusals.push({ model: intent.model, commit: intent.commit, reason });
    }
  }
  for (const { model, commit, reason } of refusals) {
    logger.warn(`refused a successful run: ${reason}`, { reason, model, commit });
    await context.record({
      model,
      commit,
      action: IngressAction.runRefused,
      outcome: Outcome.refused,
      details: { reason },
    });
  }
  const reasons = refusals.map((r) => r.reason).join("; ");
  if (published.length > 0) {
    return respond(202, IngressStatus.accepted, reasons === "" ? undefined : reasons, { published });
  }
  // Authenticated, but what it says does not hold up: no retry can change that.
  return respond(422, IngressStatus.refused, reasons);
}

async function publishIntent(
  deps: TektonEventsDeps,
  run: TektonRun,
  intent: RunIntent,
  context: IngressContext,
): Promise<PublishedRef> {
  await requirePushedToBranch(deps, intent);
  if (intent.kind === "training-requested") {
    const message: TrainingRequested = {
      ...context.envelope(intent),
      trigger: "tekton",
      requestedBy: `tekton:${run.namespace}/${run.name}`,
      ...(intent.image === undefined ? {} : { image: intent.image }),
    };
    const messageId = await deps.publisher.publish(Topic.trainingRequested, message);
    return { topic: Topic.trainingRequested, model: intent.model, commit: intent.commit, messageId };
  }
  // Principle 1: the bucket, not the event, says the artifact exists and what it is.
  const { location } = intent;
  const verified = await readVerifiedManifest(deps.blobs, {
    model: intent.model,
    commit: location.commit,
    repository: intent.repository,
  });
  if (!sameCommit(verified.manifest.commit, intent.commit)) {
    throw new ArtifactError(
      `${verified.objectName} names commit ${verified.manifest.commit}, the run ${intent.commit}`,
    );
  }
  // The commit as the artifact directory names it, so this message and artifactUploaded's for the same
  // artifact carry the same model@commit (registerModel's idempotency key).
  const message: ArtifactReady = {
    ...context.envelope({ ...intent, commit: location.commit }),
    artifactUri: location.uri,
    manifestGeneration: verified.generation,
  };
  const messageId = await deps.publisher.publish(Topic.artifactReady, message);
  return { topic: Topic.artifactReady, model: intent.model, commit: location.commit, messageId };
}

/**
 * A run may speak only of a commit githubWebhook saw pushed to the model's branch: otherwise anyone who can start
 * a run in an allowed namespace could have modelgate train, register and (with auto-deploy) serve any commit
 * GitHub will hand out for the repository, a fork's pull request head included.
 */
async function requirePushedToBranch(deps: TektonEventsDeps, intent: RunIntent): Promise<void> {
  if (!isFullCommitSha(intent.commit)) {
    throw new ForbiddenError(
      `commit ${intent.commit} is abbreviated; a run must report the full 40-digit SHA to be matched against the pushes githubWebhook recorded`,
    );
  }
  if ((await findBranchPush(deps.blobs, intent.model, intent.commit)) === null) {
    const branch = modelConfig(deps.config, intent.model).branch ?? "its default branch";
    throw new ForbiddenError(
      `commit ${intent.commit} was never pushed to ${intent.repository} ${branch} as far as githubWebhook saw; runs of other commits are refused`,
    );
  }
}

async function actOnFailure(
  deps: TektonEventsDeps,
  run: TektonRun,
  context: IngressContext,
): Promise<IngressResponse> {
  const { matched, unmapped } = modelsOfRun(deps.config, run);
  if (matched.length === 0 && unmapped !== undefined) {
    context.logger.info(`ignored a failed run: ${unmapped}`);
    return respond(200, IngressStatus.ignored, unmapped);
  }
  const { reason, message } = run.condition ?? {};
  const details = {
    ...(reason === undefined ? {} : { conditionReason: reason }),
    ...(message === undefined ? {} : { conditionMessage: message }),
  };
  const models = matched.length > 0 ? matched : [undefined];
  for (const model of models) {
    const commit = model && readCommit(run, model.mapping.results.commit);
    await context.record({
      model: model?.name,
      commit,
      action: IngressAction.runFailed,
      outcome: Outcome.failed,
      details,
    });
  }
  const names = matched.map((m) => m.name).join(", ") || "an unattributed model";
  context.logger.notice(`recorded a failed run of ${names}`, { reason });
  return respond(
    200,
    IngressStatus.recorded,
    `${run.kind} ${run.name} failed (${reason ?? "no reason given"}); recorded for ${names}`,
  );
}

function readCommit(run: TektonRun, key: string): string | undefined {
  const value = runValue(run, key)?.toLowerCase();
  return value !== undefined && CommitSha.safeParse(value).success ? value : undefined;
}
