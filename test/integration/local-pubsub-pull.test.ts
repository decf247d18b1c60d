import type { Message, Subscription } from "@google-cloud/pubsub";
import { describe, expect, it } from "vitest";
import { onOurServerOnly, topicWithDeadLetters, usePubSubClients } from "../support/pubsub-under-test.js";
import { deadLetterAttributes, pullSome } from "../support/subscriber-client.js";

const projectId = "local-project";
const subscriptionPath = (id: string) => `projects/${projectId}/subscriptions/${id}`;

const under = usePubSubClients();

/** Collects messages from a StreamingPull subscription until `count` arrived, handling each with `handle`. */
function receive(
  subscription: Subscription,
  count: number,
  handle: (m: Message) => void,
): Promise<Message[]> {
  const received: Message[] = [];
  return new Promise((resolve, reject) => {
    subscription.on("error", reject);
    subscription.on("message", (message: Message) => {
      received.push(message);
      handle(message);
      if (received.length === count) resolve(received);
    });
  });
}

describe("local Pub/Sub server: StreamingPull through subscription.on('message')", () => {
  it("delivers data, attributes and publish time, and stops after the ack", async () => {
    const [topic] = await under.pubsub.createTopic("stream-topic");
    const [subscription] = await topic.createSubscription("stream-sub");
    const id = await topic.publishMessage({
      data: Buffer.from("hello"),
      attributes: { model: "fraud-detector" },
    });

    const [message] = await receive(subscription, 1, (m) => m.ack());
    await subscription.close();
    expect(message?.id).toBe(id);
    expect(message?.data.toString()).toBe("hello");
    expect(message?.attributes).toEqual({ model: "fraud-detector" });
    expect(message?.publishTime.getTime()).toBeGreaterThan(0);
    // No dead-letter policy: the service does not report attempts.
    expect(message?.deliveryAttempt).toBe(0);

    // Acknowledged: nothing is left for a later pull.
    const [response] = await under.subscriber.pull({
      subscription: subscriptionPath("stream-sub"),
      maxMessages: 10,
      returnImmediately: true,
    });
    expect(response.receivedMessages ?? []).toEqual([]);
  });

  it("redelivers a nacked message", async () => {
    const [topic] = await under.pubsub.createTopic("nack-topic");
    const [subscription] = await topic.createSubscription("nack-sub");
    const id = await topic.publishMessage({ data: Buffer.from("again") });

    let first = true;
    const received = await receive(subscription, 2, (m) => {
      if (first) m.nack();
      else m.ack();
      first = false;
    });
    await subscription.close();
    expect(received.map((m) => m.id)).toEqual([id, id]);
  });

  it("keeps ordering keys and delivers one key's messages in publish order", async () => {
    const topic = (await under.pubsub.createTopic("ordered-topic"))[0];
    const ordered = under.pubsub.topic("ordered-topic", { messageOrdering: true });
    const [subscription] = await topic.createSubscription("ordered-sub", { enableMessageOrdering: true });
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      ids.push(await ordered.publishMessage({ data: Buffer.from(String(n)), orderingKey: "model-a" }));
    }

    const received = await receive(subscription, 5, (m) => m.ack());
    await subscription.close();
    expect(received.map((m) => m.id)).toEqual(ids);
    expect(received.map((m) => m.orderingKey)).toEqual(Array(5).fill("model-a"));
  });
});

describe("local Pub/Sub server: StreamingPull lifecycle", () => {
  it("ends open streams with NOT_FOUND when their subscription is deleted", async () => {
    const [topic] = await under.pubsub.createTopic("vanishing-topic");
    const [subscription] = await topic.createSubscription("vanishing-sub");
    const failed = new Promise<{ code?: number }>((resolve) => subscription.on("error", resolve));
    // Wait for the stream to be serving before deleting the subscription under it.
    const id = await topic.publishMessage({ data: Buffer.from("first") });
    const [message] = await receive(subscription, 1, (m) => m.ack());
    expect(message?.id).toBe(id);
    await under.pubsub.subscription("vanishing-sub").delete();
    await expect(failed).resolves.toMatchObject({ code: 5 });
    await subscription.close();
  });
});

describe("local Pub/Sub server: unary Pull", () => {
  it("delivers only messages published after the subscription was created", async () => {
    const [topic] = await under.pubsub.createTopic("late-topic");
    await topic.publishMessage({ data: Buffer.from("before") });
    await topic.createSubscription("late-sub");
    const afterId = await topic.publishMessage({ data: Buffer.from("after") });

    const messages = await pullSome(under.subscriber, subscriptionPath("late-sub"));
    expect(messages.map((m) => m.message?.messageId)).toEqual([afterId]);
    await under.subscriber.acknowledge({
      subscription: subscriptionPath("late-sub"),
      ackIds: [messages[0]?.ackId ?? ""],
    });
  });

  it("redelivers after ModifyAckDeadline 0 with a new ack id", async () => {
    const [topic] = await under.pubsub.createTopic("modack-topic");
    await topic.createSubscription("modack-sub");
    const id = await topic.publishMessage({ data: Buffer.from("x"), attributes: { a: "1" } });
    const subscription = subscriptionPath("modack-sub");

    const [first] = await pullSome(under.subscriber, subscription);
    expect(first?.message?.attributes).toEqual({ a: "1" });
    await under.subscriber.modifyAckDeadline({
      subscription,
      ackIds: [first?.ackId ?? ""],
      ackDeadlineSeconds: 0,
    });

    const [second] = await pullSome(under.subscriber, subscription);
    expect(second?.message?.messageId).toBe(id);
    expect(second?.ackId).not.toBe(first?.ackId);
    await under.subscriber.acknowledge({ subscription, ackIds: [second?.ackId ?? ""] });
  });

  // gcloud's emulator neither counts delivery attempts nor dead-letters (docs/pubsub-push.md).
  onOurServerOnly(() => {
    it("counts delivery attempts with a dead-letter policy and dead-letters after the limit", async () => {
      const topic = await topicWithDeadLetters(under.pubsub, "pull-dl", 3, {
        retryPolicy: { minimumBackoff: { seconds: 0, nanos: 10_000_000 }, maximumBackoff: { seconds: 1 } },
      });
      const id = await topic.publishMessage({ data: Buffer.from("poison"), attributes: { kind: "bad" } });
      const subscription = subscriptionPath("pull-dl-sub");

      const attempts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [received] = await pullSome(under.subscriber, subscription);
        expect(received?.message?.messageId).toBe(id);
        attempts.push(received?.deliveryAttempt ?? -1);
        await under.subscriber.modifyAckDeadline({
          subscription,
          ackIds: [received?.ackId ?? ""],
          ackDeadlineSeconds: 0,
        });
      }
      expect(attempts).toEqual([1, 2, 3]);

      const [dead] = await pullSome(under.subscriber, subscriptionPath("pull-dl-dead-sub"));
      expect(dead?.message?.data?.toString()).toBe("poison");
      expect(dead?.message?.attributes).toEqual({
        kind: "bad",
        ...deadLetterAttributes(3, "pull-dl-sub", projectId),
        CloudPubSubDeadLetterSourceTopicPublishTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(under.target.local?.stats().deadLettered).toContainEqual(
        expect.objectContaining({ subscription, messageId: id, deliveryAttempts: 3 }),
      );

      // Gone from the source subscription.
      const [rest] = await under.subscriber.pull({ subscription, maxMessages: 10, returnImmediately: true });
      expect(rest.receivedMessages ?? []).toEqual([]);
    });
  });

  it("answers NOT_FOUND for a missing subscription and INVALID_ARGUMENT for max_messages 0", async () => {
    await expect(
      under.subscriber.pull({ subscription: subscriptionPath("nope-sub"), maxMessages: 1 }),
    ).rejects.toMatchObject({ code: 5 });
    const [topic] = await under.pubsub.createTopic("zero-topic");
    await topic.createSubscription("zero-sub");
    await expect(
      under.subscriber.pull({ subscription: subscriptionPath("zero-sub"), maxMessages: 0 }),
    ).rejects.toMatchObject({ code: 3 });
  });
});
