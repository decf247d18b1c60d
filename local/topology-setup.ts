import type { PubSub } from "@google-cloud/pubsub";
import {
  consumerOf,
  deadLetterSubscriptionFor,
  deadLetterTopic,
  deliveryPolicy,
  type FunctionName,
  subscriptionFor,
  topicNames,
} from "../shared/topology.js";

export interface TopologyOptions {
  /** Where each Pub/Sub-triggered function listens; without it the trigger subscriptions are pull subscriptions. */
  pushEndpoints?: Partial<Record<FunctionName, string>>;
  /**
   * Retry backoff in seconds. The cloud uses shared/topology.ts's policy (10 s to 600 s); the local stack may
   * shorten it so a demo or a test does not wait minutes. Attempts and dead-lettering are the same.
   */
  backoffSeconds?: { minimum: number; maximum: number };
}

/**
 * Creates the topics, dead-letter topics and trigger subscriptions from shared/topology.ts through the real
 * Pub/Sub API — the same definition infra/ is generated from. Idempotent: what exists is left alone.
 */
export async function createTopology(pubsub: PubSub, options: TopologyOptions = {}): Promise<void> {
  const project = pubsub.projectId;
  const backoff = options.backoffSeconds ?? {
    minimum: deliveryPolicy.minimumBackoffSeconds,
    maximum: deliveryPolicy.maximumBackoffSeconds,
  };
  for (const topic of topicNames) {
    await ensureTopic(pubsub, topic);
    await ensureTopic(pubsub, deadLetterTopic(topic));
    const pushEndpoint = options.pushEndpoints?.[consumerOf[topic]];
    await ensureSubscription(pubsub, topic, subscriptionFor(topic), {
      ackDeadlineSeconds: deliveryPolicy.ackDeadlineSeconds,
      deadLetterPolicy: {
        deadLetterTopic: `projects/${project}/topics/${deadLetterTopic(topic)}`,
        maxDeliveryAttempts: deliveryPolicy.maxDeliveryAttempts,
      },
      retryPolicy: {
        minimumBackoff: seconds(backoff.minimum),
        maximumBackoff: seconds(backoff.maximum),
      },
      ...(pushEndpoint ? { pushConfig: { pushEndpoint } } : {}),
    });
    // Dead letters wait here until `modelgate replay` sends them back.
    await ensureSubscription(pubsub, deadLetterTopic(topic), deadLetterSubscriptionFor(topic), {
      ackDeadlineSeconds: 60,
    });
  }
}

function seconds(value: number): { seconds: number; nanos: number } {
  const whole = Math.floor(value);
  return { seconds: whole, nanos: Math.round((value - whole) * 1e9) };
}

async function ensureTopic(pubsub: PubSub, name: string): Promise<void> {
  const [exists] = await pubsub.topic(name).exists();
  if (!exists) await pubsub.createTopic(name);
}

async function ensureSubscription(
  pubsub: PubSub,
  topic: string,
  name: string,
  options: Record<string, unknown>,
): Promise<void> {
  const [exists] = await pubsub.subscription(name).exists();
  if (!exists) await pubsub.topic(topic).createSubscription(name, options);
}
