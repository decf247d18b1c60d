import * as z from "zod";
import { ValidationError } from "./errors.js";
import { formatIssues, issuesToText } from "./zod-issues.js";

/**
 * The JSON body a Pub/Sub push subscription POSTs (the wrapped format, https://cloud.google.com/pubsub/docs/push).
 * Eventarc's MessagePublishedData has the same shape. Both id spellings may appear; `deliveryAttempt` is present
 * only when the subscription has a dead-letter policy.
 */
const PushEnvelope = z.object({
  message: z
    .object({
      data: z.base64().optional(),
      attributes: z.record(z.string(), z.string()).optional(),
      messageId: z.string().min(1).optional(),
      message_id: z.string().min(1).optional(),
      publishTime: z.string().optional(),
      publish_time: z.string().optional(),
      orderingKey: z.string().optional(),
    })
    .refine((m) => m.messageId !== undefined || m.message_id !== undefined, {
      message: "a message needs messageId (or message_id)",
    }),
  subscription: z.string().min(1),
  deliveryAttempt: z.number().int().nonnegative().optional(),
});

export interface PubSubDelivery {
  data: Buffer;
  attributes: Record<string, string>;
  messageId: string;
  publishTime?: string;
  subscription: string;
  /** 1 on first delivery; Pub/Sub only counts when the subscription has a dead-letter policy. */
  deliveryAttempt: number;
}

/** Unwraps a Pub/Sub push envelope (or MessagePublishedData); a malformed one is a ValidationError naming why. */
export function decodePushEnvelope(body: unknown): PubSubDelivery {
  if (typeof body !== "object" || body === null || Array.isArray(body) || Buffer.isBuffer(body)) {
    throw new ValidationError(
      "not a Pub/Sub push envelope: the body is not a JSON object (application/json)",
    );
  }
  const parsed = PushEnvelope.safeParse(body);
  if (!parsed.success) {
    throw new ValidationError(
      `not a Pub/Sub push envelope: ${issuesToText(parsed.error)}`,
      formatIssues(parsed.error),
    );
  }
  const { message, subscription, deliveryAttempt } = parsed.data;
  const publishTime = message.publishTime ?? message.publish_time;
  return {
    data: Buffer.from(message.data ?? "", "base64"),
    attributes: message.attributes ?? {},
    messageId: (message.messageId ?? message.message_id) as string,
    ...(publishTime === undefined ? {} : { publishTime }),
    subscription,
    deliveryAttempt: deliveryAttempt && deliveryAttempt > 0 ? deliveryAttempt : 1,
  };
}
