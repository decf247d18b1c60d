import type { CloudEvent } from "cloudevents";
import { sameCommit } from "../../shared/commit.js";
import { modelConfig } from "../../shared/config.js";
import type { ArtifactReady, Cause, TrainingRequested } from "../../shared/contracts.js";
import {
  ArtifactError,
  ClaimHeldError,
  describeError,
  ForbiddenError,
  isRetryable,
} from "../../shared/errors.js";
import { readVerifiedManifest } from "../../shared/ingress/artifact.js";
import { findBranchPush, isFullCommitSha } from "../../shared/ingress/branch-pushes.js";
import type { IngressDeps } from "../../shared/ingress/deps.js";
import {
  headerValue,
  type IngressHandler,
  type IngressResponse,
  IngressStatus,
  mediaType,
  type PublishedRef,
  refusal,
  respond,
} from "../../shared/ingress/http.js";
import { runOnce } from "../../shared/ingress/once.js";
import { recordIngress } from "../../shared/ingress/record.js";
import { currentSecrets, type SecretSource } from "../../shared/ingress/secret-file.js";
import { matchesAnySecret } from "../../shared/ingress/secret-match.js";
import { Outcome } from "../../shared/ledger.js";
import { type Logger, traceContext } from "../../shared/logger.js";
import { CommitSha } from "../../shared/names.js";
import type { BlobStore } from "../../shared/ports.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { mapSuccessfulRun, modelsOfRun, type RunIntent } from "./map-run.js";
import { CloudEventMediaType, parseCloudEvent } from "./parse-cloud-event.js";
import {
  parseTektonEventType,
  parseTektonRun,
  parseTektonSource,
  RunState,
  runValue,
  type TektonRun,
} from "./tekton-run.js";

/** The header the in-cluster forwarder puts the shared token in (never the URL: URLs reach access logs). */
export const tektonTokenHeader = "X-Modelgate-Token";

/** A run object fits in etcd (about 1.5 MB); roughly ten times that is not a Tekton event. */
export const tektonMaxBodyBytes = 16 * 1024 * 1024;

export interface TektonEventsDeps extends IngressDeps {
  /** The artifact bucket, to re-read modelgate.json before publishing artifact-ready. */
  blobs: BlobStore;
  /** Shared tokens (TEKTON_SINK_TOKEN or its mounted file); more than one while rotating. */
  tokens: SecretSource;
}

const step = FunctionName.tektonEvents;

/**
 * tektonEvents' logic: a CloudEvents sink for Tekton's run events. Authenticates the forwarder's shared token,
 * reads and validates the CloudEvent, accepts runs only from allowed namespaces (the run's own namespace and the
 * event source must agree), deduplicates on source + id, and turns a successful run of a mapped pipeline into
 * artifact-ready (after re-reading the manifest from the bucket) or training-requested. Failed runs are recorded.
 */
export function createTektonEventsHandler(deps: TektonEventsDeps): IngressHandler {
  const now = deps.now ?? (() => new Date());
  const namespaces = new Set(deps.config.tekton.namespaces);
  const baseLogger = deps.logger.child({ functionName: step });

  return async (request) => {
    // The caller's trace joins the log context only once the token is checked: a stranger's header is not trusted.
    let logger = baseLogger;
    // Through a closure: `logger` gains the event id once the event is parsed.
    const refuse = refusal({ warn: (message, fields) => logger.warn(message, fields) }, "a Tekton event");

    if (request.method !== "POST")
      return refuse(405, `method ${request.method} is not allowed; CloudEvents arrive by POST`);
    const token = headerValue(request.headers, tektonTokenHeader);
    if (!token) return refuse(401, `missing the ${tektonTokenHeader} header`);
    if (!matchesAnySecret(token, await currentSecrets(deps.tokens)))
      return refuse(401, `${tektonTokenHeader} does not match any configured token`);
    logger = logger.child(traceContext(request.headers, deps.config.project));
    const type = mediaType(request.headers);
    if (type !== CloudEventMediaType.binary && type !== CloudEventMediaType.structured) {
      return refuse(
        415,
        `content type ${type ?? "(none)"} is neither ${CloudEventMediaType.binary} (binary mode) nor ${CloudEventMediaType.structured} (structured mode)`,
      );
    }
    if (request.body.length > tektonMaxBodyBytes) {
      return refuse(413, `the body is ${request.body.length} bytes; the limit is ${tektonMaxBodyBytes}`);
    }
    if (request.body.length === 0) return refuse(400, "the request has no body");

    let event: CloudEvent<unknown>;
    try {
      event = parseCloudEvent(request);
    } catch (error) {
      return refuse(400, (error as Error).message);
    }
    if (event.id.length > 128) return refuse(400, "the CloudEvent id is longer than 128 characters");
    logger = logger.child({ eventId: event.id, eventType: event.type, eventSource: event.source });

    const eventType = parseTektonEventType(event.type);
    if (!eventType) {
      logger.info(`ignored CloudEvent type ${event.type}`);
      return respond(
        200,
        IngressStatus.ignored,
        `event type ${event.type} is not a Tekton PipelineRun or TaskRun event`,
      );
    }
    const source = parseTektonSource(event.source);
    if (!source)
      return refuse(
        403,
        `source ${event.source} is not a Tekton run (/apis/tekton.dev/<version>/namespaces/<ns>/…)`,
      );
    let run: TektonRun;
    try {
      run = parseTektonRun(eventType.kind, event.data);
    } catch (error) {
      return refuse(400, (error as Error).message);
    }
    if (run.namespace !== source.namespace) {
      return refuse(
        403,
        `the run's namespace ${run.namespace} differs from the event source's ${source.namespace}`,
      );
    }
    if (!namespaces.has(run.namespace)) {
      return refuse(403, `namespace ${run.namespace} is not allowed to trigger work (tekton.namespaces)`, {
        namespace: run.namespace,
      });
    }
    if (source.kind !== run.kind || source.name !== run.name) {
      return refuse(
        400,
        `the event source ${event.source} does not name the ${run.kind} ${run.name} it carries`,
      );
    }
    logger = logger.child({ namespace: run.namespace, run: run.name });

    if (eventType.state !== RunState.successful && eventType.state !== RunState.failed) {
      logger.debug(`ignored a ${eventType.state} event`);
      return respond(
        200,
        IngressStatus.ignored,
        `${run.kind} ${run.name} is ${eventType.state}; modelgate acts when it succeeds or fails`,
      );
    }
    if (run.parentPipelineRun !== undefined) {
      logger.debug("ignored a TaskRun of a PipelineRun");
      return respond(
        200,
        IngressStatus.ignored,
        `TaskRun ${run.name} belongs to PipelineRun ${run.parentPipelineRun}, whose own event counts`,
      );
    }

    const context: EventContext = {
      deps,
      logger,
      now,
      event,
      run,
      cause: { source: event.source, id: event.id },
    };
    try {
      const outcome = await runOnce(
        deps.claims,
        step,
        `${event.source}#${event.id}`,
        () => (eventType.state === RunState.successful ? handleSuccess(context) : handleFailure(context)),
        (response) => ({ statusCode: response.statusCode, ...response.body }),
      );
      if (outcome.state === "duplicate") {
        logger.info("the event was already handled; acknowledging the repeat");
        return respond(
          200,
          IngressStatus.duplicate,
          `event ${event.id} from ${event.source} was already handled`,
        );
      }
      return outcome.value;
    } catch (error) {
      if (error instanceof ClaimHeldError) {
        logger.warn("the event is being handled by another attempt", { error: error.toJSON() });
        return respond(409, IngressStatus.inProgress, `event ${event.id} is being handled right now`);
      }
      logger.error("could not handle a Tekton event", { error: describeError(error) });
      return respond(503, IngressStatus.error, "a transient failure; send the event again");
    }
  };
}

interface EventContext {
  deps: TektonEventsDeps;
  logger: Logger;
  now: () => Date;
  event: CloudEvent<unknown>;
  run: TektonRun;
  cause: Cause;
}

async function handleSuccess(context: EventContext): Promise<IngressResponse> {
  const { deps, run, logger } = context;
  const mapping = mapSuccessfulRun(deps.config, run);
  if (mapping.ignored !== undefined) {
    logger.info(`ignored a successful run: ${mapping.ignored}`);
    return respond(200, IngressStatus.ignored, mapping.ignored);
  }
  const published: PublishedRef[] = [];
  const refusals = [...mapping.refused];
  for (const intent of mapping.intents) {
    try {
      const ref = await publishIntent(context, intent);
      published.push(ref);
      await record(context, {
        model: intent.model,
        commit: ref.commit,
        action: ref.topic,
        outcome: Outcome.accepted,
        details: {
          topic: ref.topic,
          messageId: ref.messageId,
          ...(intent.kind === "artifact-ready" ? { artifactUri: intent.location.uri } : {}),
        },
      });
      logger.info(`published ${ref.topic} for ${intent.model}@${ref.commit}`, { messageId: ref.messageId });
    } catch (error) {
      if (isRetryable(error)) throw error;
      refusals.push({
        model: intent.model,
        commit: intent.commit,
        reason: `${intent.model}: ${(error as Error).message}`,
      });
    }
  }
  for (const refusal of refusals) {
    logger.warn(`refused a successful run: ${refusal.reason}`, {
      reason: refusal.reason,
      model: refusal.model,
      commit: refusal.commit,
    });
    await record(context, {
      model: refusal.model,
      commit: refusal.commit,
      action: "run-refused",
      outcome: Outcome.refused,
      details: { reason: refusal.reason },
    });
  }
  const reasons = refusals.map((r) => r.reason).join("; ");
  if (published.length > 0) {
    return respond(202, IngressStatus.accepted, reasons === "" ? undefined : reasons, { published });
  }
  // Authenticated, but what it says does not hold up: no retry can change that.
  return respond(422, IngressStatus.refused, reasons);
}

async function publishIntent(context: EventContext, intent: RunIntent): Promise<PublishedRef> {
  const { deps, event, run, cause } = context;
  const envelope = {
    schemaVersion: 1 as const,
    correlationId: event.id,
    model: intent.model,
    repository: intent.repository,
    causedBy: [cause],
    createdAt: context.now().toISOString(),
  };
  await requirePushedToBranch(deps, intent);
  if (intent.kind === "training-requested") {
    const message: TrainingRequested = {
      ...envelope,
      commit: intent.commit,
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
    ...envelope,
    commit: location.commit,
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

async function handleFailure(context: EventContext): Promise<IngressResponse> {
  const { deps, run, logger } = context;
  const { matched, unmapped } = modelsOfRun(deps.config, run);
  if (matched.length === 0 && unmapped !== undefined) {
    logger.info(`ignored a failed run: ${unmapped}`);
    return respond(200, IngressStatus.ignored, unmapped);
  }
  const models = matched.length > 0 ? matched : [undefined];
  for (const model of models) {
    const commit = model && readCommit(run, model.mapping.results.commit);
    await record(context, {
      model: model?.name,
      commit,
      action: "run-failed",
      outcome: Outcome.failed,
      details: {
        ...(run.condition?.reason === undefined ? {} : { conditionReason: run.condition.reason }),
        ...(run.condition?.message === undefined ? {} : { conditionMessage: run.condition.message }),
      },
    });
  }
  const names = matched.map((m) => m.name).join(", ") || "an unattributed model";
  logger.notice(`recorded a failed run of ${names}`, { reason: run.condition?.reason });
  return respond(
    200,
    IngressStatus.recorded,
    `${run.kind} ${run.name} failed (${run.condition?.reason ?? "no reason given"}); recorded for ${names}`,
  );
}

function readCommit(run: TektonRun, key: string): string | undefined {
  const value = runValue(run, key)?.toLowerCase();
  return value !== undefined && CommitSha.safeParse(value).success ? value : undefined;
}

async function record(
  context: EventContext,
  entry: {
    model?: string | undefined;
    commit?: string | undefined;
    action: string;
    outcome: Outcome;
    details: Record<string, unknown>;
  },
): Promise<void> {
  const { event, run } = context;
  await recordIngress(context.deps, step, {
    ...entry,
    correlationId: event.id,
    causedBy: [context.cause],
    details: {
      eventType: event.type,
      eventId: event.id,
      eventSource: event.source,
      namespace: run.namespace,
      run: run.name,
      kind: run.kind,
      ...(run.definition === undefined ? {} : { pipeline: run.definition }),
      ...entry.details,
    },
  });
}
