import type { StoredMessage } from "./types.js";

/** An HTTP request ready to POST to a push endpoint. */
export interface PushRequest {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The request a Pub/Sub push subscription sends its endpoint: a JSON POST whose body is the wrapped push envelope
 * (https://cloud.google.com/pubsub/docs/push), `{"message":{…},"subscription":…}`. Like the real service, both id
 * and time spellings are written, `data` and `attributes` are left out when empty, and `deliveryAttempt` is present
 * only when the subscription has a dead-letter policy. No OIDC token: the local functions do not check one.
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
  pubsubMessage.messageId = message.messageId;
  pubsubMessage.message_id = message.messageId;
  if (message.orderingKey !== "") pubsubMessage.orderingKey = message.orderingKey;
  pubsubMessage.publishTime = publishTime;
  pubsubMessage.publish_time = publishTime;
  const envelope: Record<string, unknown> = { message: pubsubMessage, subscription };
  if (deliveryAttempt !== undefined) envelope.deliveryAttempt = deliveryAttempt;
  return {
    headers: {
      "content-type": "application/json",
      "user-agent": "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
    },
    body: Buffer.from(JSON.stringify(envelope)),
  };
}

// Pub/Sub push counts exactly these as acknowledgements; every other status is a failed delivery.
const ackStatuses = new Set([102, 200, 201, 202, 204]);

/** Whether a push endpoint's HTTP status acknowledges the message. */
export function isPushAck(status: number): boolean {
  return ackStatuses.has(status);
}
