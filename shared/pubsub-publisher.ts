import type { PubSub, Topic as PubSubTopic } from "@google-cloud/pubsub";
import { encodeMessage, type MessageOf } from "./contracts.js";
import { classifyClientError } from "./grpc-errors.js";
import type { Publisher } from "./ports.js";
import type { TopicName } from "./topology.js";

/** Publisher on Cloud Pub/Sub: validates against the topic's contract, then publishes with routing attributes. */
export class PubSubPublisher implements Publisher {
  // Promises, so concurrent first publishes to a topic share one handle (and one batcher).
  private readonly topics = new Map<string, Promise<PubSubTopic>>();

  /** `pubsub` gives the client, possibly loading it on first use (see runtime.ts). */
  constructor(private readonly pubsub: () => Promise<PubSub>) {}

  async publish<T extends TopicName>(topic: T, message: MessageOf<T>): Promise<string> {
    const { data, attributes } = encodeMessage(topic, message);
    try {
      return await (await this.topicHandle(topic)).publishMessage({ data, attributes });
    } catch (error) {
      throw classifyClientError(error, `publishing to ${topic}`);
    }
  }

  private topicHandle(name: string): Promise<PubSubTopic> {
    let handle = this.topics.get(name);
    if (!handle) {
      // Latency matters more than batching here: one message per step, sent at once.
      handle = this.pubsub().then((pubsub) =>
        pubsub.topic(name, { batching: { maxMessages: 1, maxMilliseconds: 0 } }),
      );
      // A failed client load is not kept: the next publish tries again.
      handle.catch(() => this.topics.delete(name));
      this.topics.set(name, handle);
    }
    return handle;
  }
}
