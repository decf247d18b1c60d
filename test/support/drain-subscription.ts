import type { v1 } from "@google-cloud/pubsub";
import { decodeMessage, type MessageOf } from "../../shared/contracts.js";
import { subscriptionFor, type TopicName } from "../../shared/topology.js";

/** Everything waiting on a topic's trigger subscription (pulled, up to 100), acknowledged and decoded. */
export async function drainSubscription<T extends TopicName>(
  subscriber: v1.SubscriberClient,
  topic: T,
): Promise<MessageOf<T>[]> {
  const subscription = `projects/local-project/subscriptions/${subscriptionFor(topic)}`;
  const [response] = await subscriber.pull({ subscription, maxMessages: 100, returnImmediately: true });
  const received = response.receivedMessages ?? [];
  const ackIds = received.map((m) => m.ackId).filter((id): id is string => typeof id === "string");
  if (ackIds.length > 0) await subscriber.acknowledge({ subscription, ackIds });
  return received.map((m) => decodeMessage(topic, Buffer.from(m.message?.data ?? new Uint8Array())));
}
