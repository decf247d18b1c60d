import { hmacSha256 } from "../../shared/ingress/authenticate.js";
import type { IngressDeps } from "../../shared/ingress/deps.js";
import type { IngressHandler } from "../../shared/ingress/http.js";
import { createIngressHandler } from "../../shared/ingress/pipeline.js";
import type { SecretSource } from "../../shared/ingress/secret-file.js";
import type { BlobStore } from "../../shared/ports.js";
import { FunctionName } from "../../shared/topology.js";
import { actOnDelivery } from "./act-on-delivery.js";
import { type Delivery, guardDelivery, parseDelivery } from "./parse-delivery.js";

export interface GithubWebhookDeps extends IngressDeps {
  /** The artifact bucket: commits seen on a model's branch, each promotion tag's latest push. */
  blobs: BlobStore;
  /** Webhook secrets (GITHUB_WEBHOOK_SECRET or its mounted file); more than one while rotating. */
  secrets: SecretSource;
}

/**
 * githubWebhook's logic: authenticate the delivery (HMAC over the raw bytes), refuse strangers, deduplicate on
 * X-GitHub-Delivery, route pushes and tags to contract messages, record what happened, and answer with a JSON
 * body that says so. Only quick work happens here (one claim, the publishes, the ledger), well inside GitHub's
 * 10-second delivery timeout.
 */
export function createGithubWebhookHandler(deps: GithubWebhookDeps): IngressHandler {
  const allowed = new Set(deps.config.github.repositories.map((r) => r.toLowerCase()));
  return createIngressHandler<Delivery>(deps, {
    step: FunctionName.githubWebhook,
    what: "a GitHub delivery",
    methodHint: "GitHub delivers with POST",
    guard: guardDelivery,
    authenticate: hmacSha256("X-Hub-Signature-256", deps.secrets, " (is the webhook's secret set?)"),
    parse: (request) => parseDelivery(request, allowed),
    origin: ({ delivery, event, sender, repository }) => ({
      key: delivery,
      correlationId: delivery,
      cause: {
        source: repository === undefined ? "https://github.com" : `https://github.com/${repository}`,
        id: delivery,
      },
      details: { event, deliveryId: delivery, ...(sender === undefined ? {} : { sender }) },
    }),
    act: (delivery, context) => actOnDelivery(deps, delivery, context),
    answers: ({ delivery }) => ({
      duplicate: {
        reason: `delivery ${delivery} was already handled`,
        log: `delivery ${delivery} was already handled; acknowledging the redelivery`,
      },
      inProgress: {
        reason: `delivery ${delivery} is being handled right now; redeliver later if it fails`,
        log: `delivery ${delivery} is being handled by another attempt`,
      },
      failed: {
        reason: "a transient failure; redeliver this delivery",
        log: "could not handle a GitHub delivery",
      },
    }),
  });
}
