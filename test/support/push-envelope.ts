import { encodeMessage, type MessageOf } from "../../shared/contracts.js";
import { subscriptionFor, type TopicName } from "../../shared/topology.js";

/** Where a delivery came from and how often it was tried: what Pub/Sub's push envelope carries beside the data. */
export interface PushDelivery {
  messageId?: string;
  deliveryAttempt?: number;
  attributes?: Record<string, string>;
}

/**
 * Pub/Sub's push envelope for raw message bytes (say, a message that breaks its contract), as the topic's trigger
 * subscription POSTs it to a function (the shape shared/pubsub-event.ts parses).
 */
export function rawPushEnvelope(
  topic: TopicName,
  data: Buffer,
  { messageId = "m-1", deliveryAttempt = 1, attributes }: PushDelivery = {},
) {
  return {
    message: {
      data: data.toString("base64"),
      ...(attributes ? { attributes } : {}),
      messageId,
      publishTime: "2026-01-01T00:00:00Z",
    },
    subscription: `projects/local-project/subscriptions/${subscriptionFor(topic)}`,
    deliveryAttempt,
  };
}

/** Pub/Sub's push envelope for a contract message, encoded (data and attributes) as the real publisher does. */
export function pushEnvelope<T extends TopicName>(
  topic: T,
  message: MessageOf<T>,
  delivery: PushDelivery = {},
) {
  const { data, attributes } = encodeMessage(topic, message);
  return rawPushEnvelope(topic, data, { ...delivery, attributes: { ...attributes, ...delivery.attributes } });
}
