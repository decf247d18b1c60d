import { type Message, PubSub } from "@google-cloud/pubsub";
import { loadConfig } from "../../shared/config.js";
import { pubsubClientOptions } from "../../shared/runtime.js";
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
    "idle-ms": { type: "string" },
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
    const idleMs = Number(values["idle-ms"] ?? 1500);
    const env = resolveCliEnv(io.env);
    const config = loadConfig(env);
    const pubsub = new PubSub(pubsubClientOptions(env, config.project));
    const topic = pubsub.topic(route.topic);
    const subscription = pubsub.subscription(route.subscription, { flowControl: { maxMessages: 50 } });
    let count = 0;
    const seen = new Set<string>();
    const pending: Promise<unknown>[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        // The first message may take a while (stream set-up, a redelivery after a dry run's nack): wait longer for it.
        let timer = setTimeout(resolve, Math.max(idleMs, 3000));
        subscription.on("error", reject);
        subscription.on("message", (message: Message) => {
          if (seen.has(message.id)) {
            // A dry run nacks, so the same message comes round again: count it once; only new ones extend the wait.
            message.nack();
            return;
          }
          seen.add(message.id);
          clearTimeout(timer);
          timer = setTimeout(resolve, idleMs);
          const attempts = message.attributes.CloudPubSubDeadLetterSourceDeliveryCount ?? "?";
          const line = `${message.id}  ${message.attributes["modelgate-model"] ?? "?"}  attempts=${attempts}  ${message.data.length} bytes`;
          if (dryRun) {
            io.out(`would replay ${line}\n`);
            message.nack();
            count += 1;
            return;
          }
          const republish = topic
            .publishMessage({ data: message.data, attributes: originalAttributes(message.attributes) })
            .then((id) => {
              message.ack();
              count += 1;
              io.out(`replayed ${line} → ${route.topic} as ${id}\n`);
            })
            .catch((error: unknown) => {
              message.nack();
              reject(error);
            });
          pending.push(republish);
        });
      });
      await Promise.all(pending);
    } finally {
      await subscription.close();
      await pubsub.close();
    }
    io.out(
      `${dryRun ? "would replay" : "replayed"} ${count} message(s) from ${route.subscription} to ${route.topic}\n`,
    );
    return 0;
  },
};
