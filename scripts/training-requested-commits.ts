// What the loopback load scripts (load-webhook.ts, hostile-traffic.ts) read back: the commits of the
// training-requested messages githubWebhook published.
import { type ClientConfig, type Message, PubSub } from "@google-cloud/pubsub";
import { subscriptionFor, Topic } from "../shared/topology.js";

/**
 * Every training-requested message on its trigger subscription, acknowledged, read until none has come for
 * `quietMs`: the commit of each, in arrival order, a redelivered or republished one as often as it came.
 */
export async function trainingRequestedCommits(options: ClientConfig, quietMs = 2000): Promise<string[]> {
  const pubsub = new PubSub(options);
  const commits: string[] = [];
  const subscription = pubsub.subscription(subscriptionFor(Topic.trainingRequested), {
    flowControl: { maxMessages: 500 },
  });
  try {
    await new Promise<void>((done, fail) => {
      let timer = setTimeout(done, quietMs);
      subscription.on("error", fail);
      subscription.on("message", (message: Message) => {
        message.ack();
        commits.push((JSON.parse(message.data.toString("utf8")) as { commit: string }).commit);
        clearTimeout(timer);
        timer = setTimeout(done, quietMs);
      });
    });
  } finally {
    await subscription.close();
    await pubsub.close();
  }
  return commits;
}
