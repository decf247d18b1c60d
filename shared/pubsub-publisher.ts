import type { PublisherClient } from "@google-cloud/pubsub/build/src/v1/publisher_client.js";
import { encodeMessage, type MessageOf } from "./contracts.js";
import { UpstreamError } from "./errors.js";
import { classifyClientError } from "./grpc-errors.js";
import type { Publisher } from "./ports.js";
import type { TopicName } from "./topology.js";

/**
 * Per-call options of every publish. `isBundling: false` sends the one message at once, as the library's own
 * publisher does (its `gaxOpts` default): gax would otherwise hold it for the Publish method's bundling delay.
 * Retries are the generated client's own Publish settings (publisher_client_config.json), as through the library.
 */
const publishCall = { isBundling: false } as const;

/**
 * Publisher on Cloud Pub/Sub: validates against the topic's contract, then publishes with routing attributes
 * through the generated `PublisherClient` alone (the publisher half of @google-cloud/pubsub; docs/decisions.md,
 * "Split bundles"). One message per call, sent at once: modelgate publishes one message per step.
 */
export class PubSubPublisher implements Publisher {
  /**
   * `client` gives the client, possibly loading it on first use (see runtime.ts); `projectId` names the topics'
   * project.
   */
  constructor(
    private readonly client: () => Promise<PublisherClient>,
    private readonly projectId: string,
  ) {}

  async publish<T extends TopicName>(topic: T, message: MessageOf<T>): Promise<string> {
    const { data, attributes } = encodeMessage(topic, message);
    const action = `publishing to ${topic}`;
    let messageIds: readonly string[] | null | undefined;
    try {
      const client = await this.client();
      const [response] = await client.publish(
        { topic: `projects/${this.projectId}/topics/${topic}`, messages: [{ data, attributes }] },
        publishCall,
      );
      messageIds = response.messageIds;
    } catch (error) {
      throw classifyClientError(error, action);
    }
    const [messageId] = messageIds ?? [];
    if (!messageId) throw new UpstreamError(`${action}: Pub/Sub answered without a message id`);
    return messageId;
  }
}
