import type { QueueEntry } from "./subscription-queue.js";
import type { SubscriptionConfig } from "./types.js";

/** The attributes the real service adds when it forwards a message to a dead-letter topic. */
export function deadLetterAttributes(config: SubscriptionConfig, entry: QueueEntry): Record<string, string> {
  const { message } = entry;
  const attributes: Record<string, string> = {
    ...message.attributes,
    CloudPubSubDeadLetterSourceDeliveryCount: String(entry.attempts),
    CloudPubSubDeadLetterSourceSubscription: config.id,
    CloudPubSubDeadLetterSourceSubscriptionProject: config.project,
    CloudPubSubDeadLetterSourceTopicPublishTime: message.publishTime.toISOString(),
  };
  if (config.pushEndpoint && entry.lastFailure) {
    attributes.CloudPubSubDeadLetterSourceDeliveryErrorMessage = entry.lastFailure;
  }
  return attributes;
}
