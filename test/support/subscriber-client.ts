import { type PubSub, v1 } from "@google-cloud/pubsub";

/**
 * The generated SubscriberClient (for unary Pull) on the endpoint and credentials `pubsub` uses (against an
 * emulator, its insecure ones). Its options type is stricter than the ClientConfig type under
 * exactOptionalPropertyTypes; same shape.
 */
export async function subscriberClientFor(pubsub: PubSub): Promise<v1.SubscriberClient> {
  const config = (await pubsub.getClientConfig()) as ConstructorParameters<typeof v1.SubscriberClient>[0];
  return new v1.SubscriberClient(config);
}

/** Unary Pull until at least one message comes back (Pull may legitimately answer empty). */
export async function pullSome(subscriber: v1.SubscriberClient, subscription: string, maxMessages = 10) {
  for (let i = 0; i < 20; i++) {
    const [response] = await subscriber.pull({ subscription, maxMessages });
    const messages = response.receivedMessages ?? [];
    if (messages.length > 0) return messages;
  }
  throw new Error(`no message arrived on ${subscription}`);
}

/** The attributes Pub/Sub adds to every dead-lettered message (others, such as the publish time, vary by path). */
export function deadLetterAttributes(deliveryCount: number, subscription: string, project: string) {
  return {
    CloudPubSubDeadLetterSourceDeliveryCount: String(deliveryCount),
    CloudPubSubDeadLetterSourceSubscription: subscription,
    CloudPubSubDeadLetterSourceSubscriptionProject: project,
  };
}
