import type { PubSub } from "@google-cloud/pubsub";
import { type Client, credentials, makeGenericClientConstructor, status } from "@grpc/grpc-js";
import {
  consumerOf,
  deadLetterSubscriptionFor,
  deadLetterTopic,
  deliveryPolicy,
  type FunctionName,
  subscriptionFor,
  topicNames,
} from "../shared/topology.js";
import { loadPubSubServices } from "./pubsub/proto.js";

export interface TopologyOptions {
  /** Where each Pub/Sub-triggered function listens; without it the trigger subscriptions are pull subscriptions. */
  pushEndpoints?: Partial<Record<FunctionName, string>>;
  /**
   * Retry backoff in seconds. The cloud uses shared/topology.ts's policy (10 s to 600 s); the local stack may
   * shorten it so a demo or a test does not wait minutes. Attempts and dead-lettering are the same.
   */
  backoffSeconds?: { minimum: number; maximum: number };
}

/** The topics and subscriptions of the topology, in creation order (a subscription after its topics). */
function topologyPlan(
  project: string,
  options: TopologyOptions,
): { topics: string[]; subscriptions: { name: string; topic: string; options: Record<string, unknown> }[] } {
  const backoff = options.backoffSeconds ?? {
    minimum: deliveryPolicy.minimumBackoffSeconds,
    maximum: deliveryPolicy.maximumBackoffSeconds,
  };
  const topics: string[] = [];
  const subscriptions: { name: string; topic: string; options: Record<string, unknown> }[] = [];
  for (const topic of topicNames) {
    topics.push(topic, deadLetterTopic(topic));
    const pushEndpoint = options.pushEndpoints?.[consumerOf[topic]];
    subscriptions.push({
      name: subscriptionFor(topic),
      topic,
      options: {
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
      },
    });
    // Dead letters wait here until `modelgate replay` sends them back.
    subscriptions.push({
      name: deadLetterSubscriptionFor(topic),
      topic: deadLetterTopic(topic),
      options: { ackDeadlineSeconds: 60 },
    });
  }
  return { topics, subscriptions };
}

/**
 * Creates the topics, dead-letter topics and trigger subscriptions from shared/topology.ts through the real
 * Pub/Sub API — the same definition infra/ is generated from. Idempotent: what exists is left alone.
 */
export async function createTopology(pubsub: PubSub, options: TopologyOptions = {}): Promise<void> {
  const plan = topologyPlan(pubsub.projectId, options);
  for (const topic of plan.topics) {
    const [exists] = await pubsub.topic(topic).exists();
    if (!exists) await pubsub.createTopic(topic);
  }
  for (const { name, topic, options: subscription } of plan.subscriptions) {
    const [exists] = await pubsub.subscription(name).exists();
    if (!exists) await pubsub.topic(topic).createSubscription(name, subscription);
  }
}

/**
 * `createTopology` for the local server at `address` ("host:port"), through its gRPC API with a plain gRPC client
 * made from the protos the server has loaded. What `npm start` uses: the Pub/Sub client library would load its
 * own protos first, CPU the functions starting meanwhile need more. Idempotent: what exists is kept, except that an
 * existing push subscription is pointed at this run's endpoint.
 */
export async function createTopologyAt(
  address: string,
  project: string,
  options: TopologyOptions = {},
): Promise<void> {
  const services = loadPubSubServices();
  const Publisher = makeGenericClientConstructor(services.publisher, "Publisher");
  const Subscriber = makeGenericClientConstructor(services.subscriber, "Subscriber");
  const publisher = new Publisher(address, credentials.createInsecure());
  const subscriber = new Subscriber(address, credentials.createInsecure());
  const call = (client: Client, method: string, request: object) =>
    new Promise<"created" | "exists">((resolve, reject) => {
      const fn = (client as unknown as Record<string, unknown>)[method] as (
        request: object,
        callback: (error: (Error & { code?: number }) | null) => void,
      ) => void;
      fn.call(client, request, (error) => {
        if (!error) resolve("created");
        else if (error.code === status.ALREADY_EXISTS) resolve("exists");
        else reject(error);
      });
    });
  const plan = topologyPlan(project, options);
  const topicPath = (name: string) => `projects/${project}/topics/${name}`;
  try {
    await Promise.all(plan.topics.map((topic) => call(publisher, "CreateTopic", { name: topicPath(topic) })));
    await Promise.all(
      plan.subscriptions.map(async ({ name, topic, options: subscription }) => {
        const subscriptionName = `projects/${project}/subscriptions/${name}`;
        const made = await call(subscriber, "CreateSubscription", {
          ...subscription,
          name: subscriptionName,
          topic: topicPath(topic),
        });
        // A server that outlives the stack (gcloud's emulator) still pushes to the last run's ports.
        if (made === "exists" && subscription.pushConfig) {
          await call(subscriber, "ModifyPushConfig", {
            subscription: subscriptionName,
            pushConfig: subscription.pushConfig,
          });
        }
      }),
    );
  } finally {
    publisher.close();
    subscriber.close();
  }
}

function seconds(value: number): { seconds: number; nanos: number } {
  const whole = Math.floor(value);
  return { seconds: whole, nanos: Math.round((value - whole) * 1e9) };
}
