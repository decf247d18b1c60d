import { z } from "zod";
import { ValidationError } from "./errors.js";
import { formatIssues } from "./zod-issues.js";

/** MessagePublishedData as Eventarc delivers it (both camelCase and snake_case ids may appear). */
const MessagePublishedData = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    messageId: z.string().optional(),
    message_id: z.string().optional(),
    publishTime: z.string().optional(),
    publish_time: z.string().optional(),
    orderingKey: z.string().optional(),
  }),
  subscription: z.string().optional(),
  deliveryAttempt: z.number().int().optional(),
});

export interface PubSubDelivery {
  data: Buffer;
  attributes: Record<string, string>;
  messageId: string;
  publishTime?: string;
  subscription?: string;
  /** 1 on first delivery; Pub/Sub only counts when the subscription has a dead-letter policy. */
  deliveryAttempt: number;
}

/** Unwraps a `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent's data; a malformed one is a ValidationError. */
export function decodePubSubEvent(eventId: string, data: unknown): PubSubDelivery {
  const body = typeof data === "string" || Buffer.isBuffer(data) ? safeJson(data.toString()) : data;
  const parsed = MessagePublishedData.safeParse(body);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    throw new ValidationError(
      `event ${eventId} is not a Pub/Sub MessagePublishedData: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      issues,
    );
  }
  const { message, subscription, deliveryAttempt } = parsed.data;
  const publishTime = message.publishTime ?? message.publish_time;
  return {
    data: Buffer.from(message.data ?? "", "base64"),
    attributes: message.attributes ?? {},
    messageId: message.messageId ?? message.message_id ?? eventId,
    ...(publishTime === undefined ? {} : { publishTime }),
    ...(subscription === undefined ? {} : { subscription }),
    deliveryAttempt: deliveryAttempt && deliveryAttempt > 0 ? deliveryAttempt : 1,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
