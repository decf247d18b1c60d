// The requests and messages the bench sends: a Pub/Sub push as Eventarc delivers it, a signed GitHub push, a
// Tekton CloudEvent and a Cloud Storage finalize event.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { MODEL_NAME } from "../../examples/fraud-detector/seed-data.js";
import { encodeMessage, type MessageOf } from "../../shared/contracts.js";
import { subscriptionFor, type TopicName } from "../../shared/topology.js";
import { config, model, root, tektonToken, webhookSecret } from "./context.js";
import type { HttpRequest } from "./processes.js";

/** The fields every message of the bench's model carries. */
export function envelope(commit: string, correlationId: string) {
  return {
    schemaVersion: 1 as const,
    correlationId,
    model: MODEL_NAME,
    commit,
    repository: model.repository,
    causedBy: [{ source: "bench", id: `bench-${correlationId}` }],
    createdAt: new Date().toISOString(),
  };
}

/** A Pub/Sub push of `message` as the topic's push subscription POSTs it: the push envelope (docs/pubsub-push.md). */
export function pubsubEvent<T extends TopicName>(topic: T, message: MessageOf<T>): HttpRequest {
  const { data, attributes } = encodeMessage(topic, message);
  const messageId = randomUUID();
  return {
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      message: {
        data: data.toString("base64"),
        attributes,
        messageId,
        publishTime: new Date().toISOString(),
      },
      subscription: `projects/${config.project}/subscriptions/${subscriptionFor(topic)}`,
      deliveryAttempt: 1,
    }),
  };
}

export const pushBody = readFileSync(join(root, "test/fixtures/github/push-main.json"), "utf8");
const pushSignature = await sign(webhookSecret, pushBody);

/** The same push without its signature: githubWebhook refuses it (401) before loading any client. */
export function unsignedPush(): HttpRequest {
  const { "x-hub-signature-256": _signature, ...headers } = githubPush().headers;
  return { headers, body: pushBody };
}

/** The captured push to main, signed with the bench's secret, under a fresh delivery id. */
export function githubPush(): HttpRequest {
  return {
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/044aadd",
      "x-github-event": "push",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": pushSignature,
    },
    body: pushBody,
  };
}

const tektonRun = readFileSync(join(root, "test/fixtures/tekton/pipelinerun-successful.json"), "utf8");

/** The captured successful PipelineRun as Tekton's CloudEvents sink sends it. */
export function tektonEvent(): HttpRequest {
  return {
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": randomUUID(),
      "ce-source": "/apis/tekton.dev/v1beta1/namespaces/ml-ci/pipelineruns/fraud-detector-build-r4t8z",
      "ce-subject": "fraud-detector-build-r4t8z",
      "ce-time": new Date().toISOString(),
      "ce-type": "dev.tekton.event.pipelinerun.successful.v1",
      "x-modelgate-token": tektonToken,
    },
    body: tektonRun,
  };
}

/** The commit whose manifest the Tekton and bucket events point at. */
export const ingressCommit = "3f2c1a9";

/** A finalize event for the ingress commit's manifest at `generation`. */
export function finalizeEvent(generation: string): HttpRequest {
  const name = `models/${MODEL_NAME}/${ingressCommit}/modelgate.json`;
  return {
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": randomUUID(),
      "ce-source": `//storage.googleapis.com/projects/_/buckets/${config.bucket}`,
      "ce-subject": `objects/${name}`,
      "ce-type": "google.cloud.storage.object.v1.finalized",
      "ce-time": new Date().toISOString(),
    },
    body: JSON.stringify({
      kind: "storage#object",
      name,
      bucket: config.bucket,
      generation,
      metageneration: "1",
      contentType: "application/json",
      timeCreated: new Date().toISOString(),
      updated: new Date().toISOString(),
      size: "512",
    }),
  };
}
