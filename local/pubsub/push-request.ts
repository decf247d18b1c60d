import type { StoredMessage } from "./types.js";

/** The CloudEvent type Eventarc gives a Pub/Sub message. */
export const messagePublishedType = "google.cloud.pubsub.topic.v1.messagePublished";

/** An HTTP request ready to POST to a push endpoint. */
export interface PushRequest {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The request Eventarc sends a 2nd-gen Cloud Function for a Pub/Sub message: a binary-mode
 * CloudEvent whose data is MessagePublishedData. Like the real service, `data` and `attributes`
 * are left out when empty, and `deliveryAttempt` is present only when the subscription has a
 * dead-letter policy.
 */
export function buildPushRequest(
  subscription: string,
  message: StoredMessage,
  deliveryAttempt: number | undefined,
): PushRequest {
  const publishTime = message.publishTime.toISOString();
  const pubsubMessage: Record<string, unknown> = {};
  if (Object.keys(message.attributes).length > 0) pubsubMessage.attributes = { ...message.attributes };
  if (message.data.length > 0) pubsubMessage.data = message.data.toString("base64");
  // Eventarc writes both spellings (see MessagePublishedData-duplicatedFields.json).
  pubsubMessage.messageId = message.messageId;
  pubsubMessage.message_id = message.messageId;
  if (message.orderingKey !== "") pubsubMessage.orderingKey = message.orderingKey;
  pubsubMessage.publishTime = publishTime;
  pubsubMessage.publish_time = publishTime;
  const data: Record<string, unknown> = { message: pubsubMessage, subscription };
  if (deliveryAttempt !== undefined) data.deliveryAttempt = deliveryAttempt;
  return {
    headers: {
      "ce-id": message.messageId,
      "ce-source": `//pubsub.googleapis.com/${message.topic}`,
      "ce-specversion": "1.0",
      "ce-type": messagePublishedType,
      "ce-time": publishTime,
      "content-type": "application/json; charset=utf-8",
      "user-agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
    },
    body: Buffer.from(JSON.stringify(data)),
  };
}

// Pub/Sub push counts exactly these as acknowledgements; every other status is a failed delivery.
const ackStatuses = new Set([102, 200, 201, 202, 204]);

/** Whether a push endpoint's HTTP status acknowledges the message. */
export function isPushAck(status: number): boolean {
  return ackStatuses.has(status);
}
