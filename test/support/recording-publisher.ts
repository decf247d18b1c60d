import { decodeMessage, encodeMessage, type MessageOf } from "../../shared/contracts.js";
import type { Publisher } from "../../shared/ports.js";
import type { TopicName } from "../../shared/topology.js";

/** A Publisher that validates like the real one, records what was published, and can be told to fail. */
export class RecordingPublisher implements Publisher {
  readonly published: Array<{
    topic: TopicName;
    message: unknown;
    attributes: Record<string, string>;
    messageId: string;
  }> = [];
  /** When set, every publish rejects with this (a TransientError to simulate an outage). */
  failWith: unknown;
  private next = 1;

  async publish<T extends TopicName>(topic: T, message: MessageOf<T>): Promise<string> {
    if (this.failWith !== undefined) throw this.failWith;
    const { data, attributes } = encodeMessage(topic, message);
    const messageId = `m-${this.next++}`;
    this.published.push({ topic, message: decodeMessage(topic, data), attributes, messageId });
    return messageId;
  }

  /** The messages published to one topic, decoded against its contract. */
  on<T extends TopicName>(topic: T): MessageOf<T>[] {
    return this.published.filter((p) => p.topic === topic).map((p) => p.message as MessageOf<T>);
  }
}
