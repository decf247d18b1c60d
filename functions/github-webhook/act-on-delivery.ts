import type { DeploymentRequested, ReleasesRequested, TrainingRequested } from "../../shared/contracts.js";
import { describeError, isRetryable } from "../../shared/errors.js";
import { recordBranchPush } from "../../shared/ingress/branch-pushes.js";
import {
  type IngressResponse,
  IngressStatus,
  type PublishedRef,
  respond,
} from "../../shared/ingress/http.js";
import type { IngressContext } from "../../shared/ingress/pipeline.js";
import { Outcome } from "../../shared/ledger.js";
import { IngressAction } from "../../shared/ledger-actions.js";
import { Topic } from "../../shared/topology.js";
import type { GithubWebhookDeps } from "./handler.js";
import { admitPromotion } from "./latest-promotion.js";
import type { Delivery } from "./parse-delivery.js";
import { PingPayload, type PushPayload } from "./payloads.js";
import { type PushDecision, routePush } from "./route-push.js";

/** What githubWebhook does with a first-seen delivery: a push is routed, a ping answered, anything else ignored. */
export function actOnDelivery(
  deps: GithubWebhookDeps,
  delivery: Delivery,
  context: IngressContext,
): Promise<IngressResponse> {
  return delivery.push ? actOnPush(deps, delivery, delivery.push, context) : actOnOther(delivery, context);
}

async function actOnOther(
  { event, delivery, payload }: Delivery,
  context: IngressContext,
): Promise<IngressResponse> {
  if (event === "ping") {
    const ping = PingPayload.safeParse(payload);
    const hook = ping.success && ping.data.hook_id !== undefined ? `hook ${ping.data.hook_id}` : "the hook";
    await context.record({ action: IngressAction.webhookPing, outcome: Outcome.accepted, details: {} });
    context.logger.info(`ping from ${hook}`);
    return respond(200, IngressStatus.ok, `pong: ${hook} reaches modelgate`);
  }
  const reason = `event "${event}" is not handled; modelgate acts on push events (branches and tags)`;
  await context.record({
    action: IngressAction.webhookIgnored,
    outcome: Outcome.ignored,
    details: { reason },
  });
  context.logger.info(`ignored delivery ${delivery}: ${reason}`);
  return respond(200, IngressStatus.ignored, reason);
}

async function actOnPush(
  deps: GithubWebhookDeps,
  delivery: Delivery,
  push: PushPayload,
  context: IngressContext,
): Promise<IngressResponse> {
  const { logger } = context;
  const route = routePush(deps.config, push, context.now());
  // First, so a build this push starts finds its commit noted however the rest of the delivery goes.
  for (const { model, commit } of route.onBranch) {
    await recordBranchPush(deps.blobs, {
      model,
      commit,
      ref: push.ref,
      deliveryId: delivery.delivery,
      recordedAt: context.now().toISOString(),
    });
  }
  const published: PublishedRef[] = [];
  const refusals: string[] = [];
  for (const routed of route.decisions) {
    const decision = routed.kind === "promote" ? await admitOrRefuse(deps, delivery, routed) : routed;
    const details = { ref: push.ref, after: push.after, ...("tag" in decision ? { tag: decision.tag } : {}) };
    const { model, commit } = decision;
    if (decision.kind === "refuse") {
      logger.warn(`refused a promotion: ${decision.reason}`, { model, commit });
      refusals.push(decision.reason);
      const refused = { ...details, reason: decision.reason };
      await context.record({
        model,
        commit,
        action: IngressAction.promotionRefused,
        outcome: Outcome.refused,
        details: refused,
      });
      continue;
    }
    try {
      const ref = await publishDecision(deps, delivery, decision, context);
      published.push(ref);
      const sent = { ...details, topic: ref.topic, messageId: ref.messageId };
      await context.record({ model, commit, action: ref.topic, outcome: Outcome.accepted, details: sent });
      logger.info(`published ${ref.topic} for ${model}@${commit}`, { messageId: ref.messageId });
    } catch (error) {
      if (isRetryable(error)) throw error;
      // The push produced a message its contract rejects (an over-long tag, say): no retry can fix that.
      const reason = `${model}: ${error instanceof Error ? error.message : String(error)}`;
      logger.warn(`refused part of a push: ${reason}`, { error: describeError(error) });
      refusals.push(reason);
      const failure = {
        action: IngressAction.messageRefused,
        outcome: Outcome.refused,
        error: describeError(error),
      };
      await context.record({ model, commit, ...failure, details });
    }
  }
  if (published.length > 0) {
    const notes = [...refusals, ...route.ignored];
    const reason = notes.length > 0 ? notes.join("; ") : undefined;
    return respond(202, IngressStatus.accepted, reason, { published });
  }
  if (refusals.length > 0) return respond(403, IngressStatus.refused, refusals.join("; "));
  const reason = route.ignored.join("; ");
  await context.record({
    action: IngressAction.webhookIgnored,
    outcome: Outcome.ignored,
    details: { ref: push.ref, reason },
  });
  logger.info(`ignored a push to ${push.ref}: ${reason}`);
  return respond(200, IngressStatus.ignored, reason);
}

/** A promotion, unless its tag push is not newer than the latest one acted on for that tag (a replay). */
async function admitOrRefuse(
  deps: GithubWebhookDeps,
  delivery: Delivery,
  decision: Extract<PushDecision, { kind: "promote" }>,
): Promise<PushDecision> {
  const reason = await admitPromotion(deps.blobs, { ...decision, deliveryId: delivery.delivery });
  if (reason === undefined) return decision;
  const { model, repository, commit, tag } = decision;
  return { kind: "refuse", model, repository, commit, tag, reason };
}

async function publishDecision(
  deps: GithubWebhookDeps,
  { sender }: Delivery,
  decision: Exclude<PushDecision, { kind: "refuse" }>,
  context: IngressContext,
): Promise<PublishedRef> {
  const { model, commit } = decision;
  const envelope = {
    ...context.envelope(decision),
    ...(sender === undefined ? {} : { requestedBy: sender }),
  };
  if (decision.kind === "release") {
    const { model: _none, ...release }: ReleasesRequested & { model?: string } = {
      ...envelope,
      trigger: "github-push",
      ref: decision.ref,
    };
    const messageId = await deps.publisher.publish(Topic.releasesRequested, release);
    return { topic: Topic.releasesRequested, model, commit, messageId };
  }
  if (decision.kind === "train") {
    const message: TrainingRequested = { ...envelope, trigger: "github-push", ref: decision.ref };
    const messageId = await deps.publisher.publish(Topic.trainingRequested, message);
    return { topic: Topic.trainingRequested, model, commit, messageId };
  }
  const message: DeploymentRequested = { ...envelope, reason: "promotion-tag", tag: decision.tag };
  const messageId = await deps.publisher.publish(Topic.deploymentRequested, message);
  return { topic: Topic.deploymentRequested, model, commit, messageId };
}
