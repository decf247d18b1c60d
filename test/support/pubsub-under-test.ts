import { setTimeout as sleep } from "node:timers/promises";
import { type CreateSubscriptionOptions, PubSub, type v1 } from "@google-cloud/pubsub";
import {
  type LocalPubSubServer,
  type PubSubServerOptions,
  startPubSubServer,
} from "../../local/pubsub/index.js";
import { subscriberClientFor } from "./subscriber-client.js";
import { useStarted } from "./use-started.js";

/**
 * The Pub/Sub server the behavioural tests run against: ours, or — with MODELGATE_CONFORMANCE_PUBSUB=host:port, as
 * `npm run test:conformance` sets it — another one, gcloud's emulator (docs/pubsub-push.md).
 */
export const conformanceHost = process.env.MODELGATE_CONFORMANCE_PUBSUB || undefined;

/** True in the conformance run, against gcloud's emulator. */
export const againstEmulator = conformanceHost !== undefined;

/**
 * Defines tests of what only our server has (faults, idle(), stats()) or gcloud's emulator lacks (delivery counts,
 * dead-lettering): in the regular suite they run; in the conformance run they are not defined at all (a test the
 * other server cannot take is not a skipped test of it).
 */
export function onOurServerOnly(define: () => void): void {
  if (!againstEmulator) define();
}

export interface PubSubUnderTest {
  /** host:port for `apiEndpoint` or PUBSUB_EMULATOR_HOST. */
  address: string;
  /** Our server, when it is the one under test. */
  local: LocalPubSubServer | null;
  /**
   * Waits until `done()` holds. Ours: until no push is pending or in flight. Another server cannot say that, so it
   * polls, then waits a quiet second for any redelivery to show.
   */
  settle(done: () => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startPubSubUnderTest(options: PubSubServerOptions = {}): Promise<PubSubUnderTest> {
  if (conformanceHost) {
    return {
      address: conformanceHost,
      local: null,
      async settle(done, what) {
        const deadline = Date.now() + 20_000;
        while (!done()) {
          if (Date.now() > deadline) throw new Error(`${conformanceHost} never got there: ${what}`);
          await sleep(50);
        }
        await sleep(1000);
      },
      close: async () => {},
    };
  }
  const server = await startPubSubServer(options);
  return {
    address: server.address,
    local: server,
    async settle(done, what) {
      await server.idle();
      if (!done()) throw new Error(`the local Pub/Sub went idle before: ${what}`);
    },
    close: () => server.close(),
  };
}

/** The server under test with a PubSub client and a SubscriberClient on it, for project `local-project`. */
export interface PubSubClients {
  target: PubSubUnderTest;
  pubsub: PubSub;
  subscriber: v1.SubscriberClient;
  /** Closes the clients, then the server. */
  close(): Promise<void>;
}

/** Starts the server under test (see startPubSubUnderTest) and the clients the behavioural tests use on it. */
export async function startPubSubClients(options: PubSubServerOptions = {}): Promise<PubSubClients> {
  const target = await startPubSubUnderTest(options);
  const pubsub = new PubSub({ projectId: "local-project", apiEndpoint: target.address, emulatorMode: true });
  const subscriber = await subscriberClientFor(pubsub);
  return {
    target,
    pubsub,
    subscriber,
    close: async () => {
      await subscriber.close();
      await pubsub.close();
      await target.close();
    },
  };
}

/** startPubSubClients before the file's tests, closed after them (see useStarted). */
export function usePubSubClients(options: PubSubServerOptions = {}): PubSubClients {
  return useStarted("the Pub/Sub server under test", () => startPubSubClients(options));
}

/**
 * Creates `<name>-topic` and its subscription `<name>-sub` (with `options`), which dead-letters to `<name>-dead`
 * after `maxDeliveryAttempts`; `<name>-dead-sub` reads the dead letters. Resolves to the topic.
 */
export async function topicWithDeadLetters(
  pubsub: PubSub,
  name: string,
  maxDeliveryAttempts: number,
  options: CreateSubscriptionOptions,
) {
  const [topic] = await pubsub.createTopic(`${name}-topic`);
  const [deadLetters] = await pubsub.createTopic(`${name}-dead`);
  await deadLetters.createSubscription(`${name}-dead-sub`);
  await topic.createSubscription(`${name}-sub`, {
    ...options,
    deadLetterPolicy: { deadLetterTopic: deadLetters.name, maxDeliveryAttempts },
  });
  return topic;
}
