import type { Cause, DeploymentRequested, TrainingRequested } from "../../shared/contracts.js";
import { ClaimHeldError, describeError, isRetryable } from "../../shared/errors.js";
import { recordBranchPush } from "../../shared/ingress/branch-pushes.js";
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
import { Outcome } from "../../shared/ledger.js";
import { type Logger, traceContext } from "../../shared/logger.js";
import type { BlobStore } from "../../shared/ports.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { issuesToText } from "../../shared/zod-issues.js";
import { admitPromotion } from "./latest-promotion.js";
import { AnyEventPayload, PingPayload, PushPayload } from "./payloads.js";
import { type PushDecision, routePush } from "./route-push.js";
import { verifySignature } from "./verify-signature.js";

/** GitHub caps webhook payloads at 25 MB and does not deliver larger ones; anything bigger is not from GitHub. */
export const githubMaxPayloadBytes = 25 * 1024 * 1024;

export interface GithubWebhookDeps extends IngressDeps {
  /** The artifact bucket: commits seen on a model's branch, each promotion tag's latest push. */
  blobs: BlobStore;
  /** Webhook secrets (GITHUB_WEBHOOK_SECRET or its mounted file); more than one while rotating. */
  secrets: SecretSource;
}

const step = FunctionName.githubWebhook;
// X-GitHub-Delivery is a GUID (36 characters); bounded so it fits the correlation id, the claim key and a log line.
const deliveryIdPattern = /^[A-Za-z0-9-]{1,64}$/;
// X-GitHub-Event names are lowercase words joined by underscores (push, ping, pull_request_review_comment…).
const eventNamePattern = /^[a-z][a-z_]{0,63}$/;

/**
 * githubWebhook's logic: authenticate the delivery (HMAC over the raw bytes), refuse strangers, deduplicate on
 * X-GitHub-Delivery, route pushes and tags to contract messages, record what happened, and answer with a JSON
 * body that says so. Only quick work happens here (one claim, the publishes, the ledger), well inside GitHub's
 * 10-second delivery timeout.
 */
export function createGithubWebhookHandler(deps: GithubWebhookDeps): IngressHandler {
  const now = deps.now ?? (() => new Date());
  const allowed = new Set(deps.config.github.repositories.map((r) => r.toLowerCase()));
  const baseLogger = deps.logger.child({ functionName: step });

  return async (request) => {
    const delivery = headerValue(request.headers, "x-github-delivery");
    const event = headerValue(request.headers, "x-github-event");
    // Header values join the log context only once validated, and the caller's trace only once authenticated:
    // until then, anyone can send anything.
    let logger = baseLogger;
    const refuse = refusal({ warn: (message, fields) => logger.warn(message, fields) }, "a GitHub delivery");

    if (request.method !== "POST")
      return refuse(405, `method ${request.method} is not allowed; GitHub delivers with POST`);
    const type = mediaType(request.headers);
    if (type !== "application/json") {
      return refuse(
        415,
        `content type ${type ?? "(none)"} is not application/json; set the webhook's content type to application/json`,
      );
    }
    if (request.body.length > githubMaxPayloadBytes) {
      return refuse(
        413,
        `the body is ${request.body.length} bytes; GitHub payloads are at most ${githubMaxPayloadBytes}`,
      );
    }
    const missing = [...(event ? [] : ["X-GitHub-Event"]), ...(delivery ? [] : ["X-GitHub-Delivery"])];
    if (missing.length > 0 || event === undefined || delivery === undefined) {
      return refuse(400, `missing the ${missing.join(" and ")} header${missing.length > 1 ? "s" : ""}`);
    }
    if (!deliveryIdPattern.test(delivery)) return refuse(400, "X-GitHub-Delivery is not a delivery GUID");
    if (!eventNamePattern.test(event)) return refuse(400, "X-GitHub-Event is not a GitHub event name");
    logger = logger.child({ deliveryId: delivery, githubEvent: event });
    const signature = headerValue(request.headers, "x-hub-signature-256");
    if (!signature)
      return refuse(401, "missing the X-Hub-Signature-256 header (is the webhook's secret set?)");
    if (request.body.length === 0) return refuse(400, "the request has no body");
    if (!verifySignature(await currentSecrets(deps.secrets), request.body, signature)) {
      return refuse(401, "X-Hub-Signature-256 does not match the body under any configured secret");
    }
    logger = logger.child(traceContext(request.headers, deps.config.project));

    let payload: unknown;
    try {
      payload = JSON.parse(request.body.toString("utf8"));
    } catch {
      return refuse(400, "the body is not valid JSON");
    }
    const common = AnyEventPayload.safeParse(payload);
    if (!common.success || typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      return refuse(
        400,
        `the payload is not a GitHub event object${common.success ? "" : `: ${issuesToText(common.error)}`}`,
      );
    }
    const repository = common.data.repository?.full_name;
    if (repository !== undefined && !allowed.has(repository.toLowerCase())) {
      return refuse(403, `repository ${repository} is not allowed to trigger work (github.repositories)`, {
        repository,
      });
    }
    let push: PushPayload | undefined;
    if (event === "push") {
      const parsed = PushPayload.safeParse(payload);
      if (!parsed.success) return refuse(400, `the push payload is malformed: ${issuesToText(parsed.error)}`);
      push = parsed.data;
    }

    const context: DeliveryContext = {
      deps,
      logger,
      now,
      event,
      delivery,
      sender: common.data.sender?.login,
      cause: {
        source: repository === undefined ? "https://github.com" : `https://github.com/${repository}`,
        id: delivery,
      },
    };
    try {
      const outcome = await runOnce(
        deps.claims,
        step,
        delivery,
        () => (push ? handlePush(context, push) : handleOther(context, payload)),
        (response) => ({ statusCode: response.statusCode, ...response.body }),
      );
      if (outcome.state === "duplicate") {
        logger.info(`delivery ${delivery} was already handled; acknowledging the redelivery`);
        return respond(200, IngressStatus.duplicate, `delivery ${delivery} was already handled`);
      }
      return outcome.value;
    } catch (error) {
      if (error instanceof ClaimHeldError) {
        logger.warn(`delivery ${delivery} is being handled by another attempt`, { error: error.toJSON() });
        return respond(
          409,
          IngressStatus.inProgress,
          `delivery ${delivery} is being handled right now; redeliver later if it fails`,
        );
      }
      logger.error("could not handle a GitHub delivery", { error: describeError(error) });
      return respond(503, IngressStatus.error, "a transient failure; redeliver this delivery");
    }
  };
}

interface DeliveryContext {
  deps: GithubWebhookDeps;
  logger: Logger;
  now: () => Date;
  event: string;
  delivery: string;
  sender: string | undefined;
  cause: Cause;
}

async function handleOther(context: DeliveryContext, payload: unknown): Promise<IngressResponse> {
  const { event, delivery } = context;
  if (event === "ping") {
    const ping = PingPayload.safeParse(payload);
    const hook = ping.success && ping.data.hook_id !== undefined ? `hook ${ping.data.hook_id}` : "the hook";
    await record(context, { action: "webhook-ping", outcome: Outcome.accepted, details: {} });
    context.logger.info(`ping from ${hook}`);
    return respond(200, IngressStatus.ok, `pong: ${hook} reaches modelgate`);
  }
  const reason = `event "${event}" is not handled; modelgate acts on push events (branches and tags)`;
  await record(context, { action: "webhook-ignored", outcome: Outcome.ignored, details: { reason } });
  context.logger.info(`ignored delivery ${delivery}: ${reason}`);
  return respond(200, IngressStatus.ignored, reason);
}

async function handlePush(context: DeliveryContext, push: PushPayload): Promise<IngressResponse> {
  const { deps, logger } = context;
  const route = routePush(deps.config, push, context.now());
  // First, so a build this push starts finds its commit noted however the rest of the delivery goes.
  for (const { model, commit } of route.onBranch) {
    await recordBranchPush(deps.blobs, {
      model,
      commit,
      ref: push.ref,
      deliveryId: context.delivery,
      recordedAt: context.now().toISOString(),
    });
  }
  const published: PublishedRef[] = [];
  const refusals: string[] = [];
  for (const routed of route.decisions) {
    const decision = routed.kind === "promote" ? await admitOrRefuse(context, routed) : routed;
    const details = { ref: push.ref, after: push.after, ...("tag" in decision ? { tag: decision.tag } : {}) };
    if (decision.kind === "refuse") {
      logger.warn(`refused a promotion: ${decision.reason}`, {
        model: decision.model,
        commit: decision.commit,
      });
      refusals.push(decision.reason);
      await record(context, {
        model: decision.model,
        commit: decision.commit,
        action: "promotion-refused",
        outcome: Outcome.refused,
        details: { ...details, reason: decision.reason },
      });
      continue;
    }
    try {
      const ref = await publishDecision(context, decision);
      published.push(ref);
      await record(context, {
        model: decision.model,
        commit: decision.commit,
        action: ref.topic,
        outcome: Outcome.accepted,
        details: { ...details, topic: ref.topic, messageId: ref.messageId },
      });
      logger.info(`published ${ref.topic} for ${decision.model}@${decision.commit}`, {
        messageId: ref.messageId,
      });
    } catch (error) {
      if (isRetryable(error)) throw error;
      // The push produced a message its contract rejects (an over-long tag, say): no retry can fix that.
      const reason = `${decision.model}: ${error instanceof Error ? error.message : String(error)}`;
      logger.warn(`refused part of a push: ${reason}`, { error: describeError(error) });
      refusals.push(reason);
      await record(context, {
        model: decision.model,
        commit: decision.commit,
        action: "message-refused",
        outcome: Outcome.refused,
        details,
        error: describeError(error),
      });
    }
  }
  if (published.length > 0) {
    const notes = [...refusals, ...route.ignored];
    return respond(202, IngressStatus.accepted, notes.length > 0 ? notes.join("; ") : undefined, {
      published,
    });
  }
  if (refusals.length > 0) return respond(403, IngressStatus.refused, refusals.join("; "));
  const reason = route.ignored.join("; ");
  await record(context, {
    action: "webhook-ignored",
    outcome: Outcome.ignored,
    details: { ref: push.ref, reason },
  });
  logger.info(`ignored a push to ${push.ref}: ${reason}`);
  return respond(200, IngressStatus.ignored, reason);
}

/** A promotion, unless its tag push is not newer than the latest one acted on for that tag (a replay). */
async function admitOrRefuse(
  context: DeliveryContext,
  decision: Extract<PushDecision, { kind: "promote" }>,
): Promise<PushDecision> {
  const reason = await admitPromotion(context.deps.blobs, { ...decision, deliveryId: context.delivery });
  if (reason === undefined) return decision;
  const { model, repository, commit, tag } = decision;
  return { kind: "refuse", model, repository, commit, tag, reason };
}

async function publishDecision(
  context: DeliveryContext,
  decision: Exclude<PushDecision, { kind: "refuse" }>,
): Promise<PublishedRef> {
  const { deps, delivery, sender, cause } = context;
  const envelope = {
    schemaVersion: 1 as const,
    correlationId: delivery,
    model: decision.model,
    commit: decision.commit,
    repository: decision.repository,
    causedBy: [cause],
    createdAt: context.now().toISOString(),
    ...(sender === undefined ? {} : { requestedBy: sender }),
  };
  if (decision.kind === "train") {
    const message: TrainingRequested = { ...envelope, trigger: "github-push", ref: decision.ref };
    const messageId = await deps.publisher.publish(Topic.trainingRequested, message);
    return { topic: Topic.trainingRequested, model: decision.model, commit: decision.commit, messageId };
  }
  const message: DeploymentRequested = { ...envelope, reason: "promotion-tag", tag: decision.tag };
  const messageId = await deps.publisher.publish(Topic.deploymentRequested, message);
  return { topic: Topic.deploymentRequested, model: decision.model, commit: decision.commit, messageId };
}

async function record(
  context: DeliveryContext,
  entry: {
    model?: string;
    commit?: string;
    action: string;
    outcome: Outcome;
    details: Record<string, unknown>;
    error?: Record<string, unknown>;
  },
): Promise<void> {
  await recordIngress(context.deps, step, {
    ...entry,
    correlationId: context.delivery,
    causedBy: [context.cause],
    details: {
      event: context.event,
      deliveryId: context.delivery,
      ...(context.sender === undefined ? {} : { sender: context.sender }),
      ...entry.details,
    },
  });
}
