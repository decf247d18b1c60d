import { PubSub, v1 } from "@google-cloud/pubsub";
import { loadConfig } from "../../shared/config.js";
import { pubsubClientOptions } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import {
  deadLetterSubscriptionFor,
  deadLetterTopic,
  type TopicName,
  topicNames,
} from "../../shared/topology.js";
import { resolveCliEnv } from "../cli-env.js";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";

/** The dead-letter hold subscription and the topic its messages go back to, from a subscription or topic name. */
export function replayRoute(name: string): { subscription: string; topic: TopicName } | null {
  for (const topic of topicNames) {
    if (name === topic || name === deadLetterTopic(topic) || name === deadLetterSubscriptionFor(topic)) {
      return { subscription: deadLetterSubscriptionFor(topic), topic };
    }
  }
  return null;
}

/** Attributes Pub/Sub adds when it dead-letters a message; they do not travel back. */
function originalAttributes(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(attributes).filter(([k]) => !k.startsWith("CloudPubSubDeadLetter")),
  );
}

export const replay: Command = {
  path: ["replay"],
  summary: "send dead-lettered messages back to their topic (the steps' idempotency keys make this safe)",
  usage:
    "usage: modelgate replay --subscription NAME [--dry-run]\n\n" +
    `  NAME: a dead-letter subscription (e.g. ${deadLetterSubscriptionFor(topicNames[0] as TopicName)}) or its topic's name`,
  options: {
    subscription: { type: "string" },
    "dry-run": { type: "boolean" },
  },
  async run({ values }, io) {
    const name = typeof values.subscription === "string" ? values.subscription : "";
    const route = replayRoute(name);
    if (!route) {
      throw new UsageError(
        `unknown subscription "${name}"; dead-letter subscriptions: ${topicNames.map(deadLetterSubscriptionFor).join(", ")}\n\n${this.usage}`,
      );
    }
    const dryRun = values["dry-run"] === true;
    const env = resolveCliEnv(io.env);
    const config = loadConfig(env);
    const pubsub = new PubSub(pubsubClientOptions(loadSettings(env), config.project));
    // Its options type is stricter than the ClientConfig type under exactOptionalPropertyTypes; same shape.
    const subscriber = new v1.SubscriberClient(
      (await pubsub.getClientConfig()) as ConstructorParameters<typeof v1.SubscriberClient>[0],
    );
    const subscription = `projects/${config.project}/subscriptions/${route.subscription}`;
    const topic = pubsub.topic(route.topic);
    let count = 0;
    // A dry run keeps what it listed leased until the end, so each message is listed once, then releases it.
    const listed: string[] = [];
    try {
      // Unary pulls until the subscription is drained: Pub/Sub may answer an empty pull while messages remain, so
      // two empty answers in a row end the run. No timing guesses: a slow machine only makes it slower.
      for (let empty = 0; empty < 2; ) {
        const [response] = await subscriber.pull({ subscription, maxMessages: 100 });
        const received = response.receivedMessages ?? [];
        empty = received.length === 0 ? empty + 1 : 0;
        for (const { ackId, message } of received) {
          if (!ackId || !message) continue;
          const attributes = message.attributes ?? {};
          const data = Buffer.from(message.data ?? "");
          const attempts = attributes.CloudPubSubDeadLetterSourceDeliveryCount ?? "?";
          const line = `${message.messageId}  ${attributes["modelgate-model"] ?? "?"}  attempts=${attempts}  ${data.length} bytes`;
          if (dryRun) {
            io.out(`would replay ${line}\n`);
            listed.push(ackId);
          } else {
            // Republished first, acknowledged after: a failure in between replays it twice, never loses it.
            const id = await topic.publishMessage({ data, attributes: originalAttributes(attributes) });
            await subscriber.acknowledge({ subscription, ackIds: [ackId] });
            io.out(`replayed ${line} → ${route.topic} as ${id}\n`);
          }
          count += 1;
        }
      }
      if (listed.length > 0) {
        await subscriber.modifyAckDeadline({ subscription, ackIds: listed, ackDeadlineSeconds: 0 });
      }
    } finally {
      await subscriber.close();
      await pubsub.close();
    }
    io.out(
      `${dryRun ? "would replay" : "replayed"} ${count} message(s) from ${route.subscription} to ${route.topic}\n`,
    );
    return 0;
  },
};
