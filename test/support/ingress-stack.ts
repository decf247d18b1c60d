import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { Storage } from "@google-cloud/storage";
import { type LocalPubSubServer, startPubSubServer } from "../../local/pubsub/index.js";
import {
  type LocalStorageServer,
  localStorageClientOptions,
  startStorageServer,
} from "../../local/storage/index.js";
import { BucketClaimStore } from "../../shared/claim-store.js";
import { decodeMessage, type MessageOf } from "../../shared/contracts.js";
import { GcsBlobStore } from "../../shared/gcs-blob-store.js";
import { BucketLedger } from "../../shared/ledger.js";
import type { TopicName } from "../../shared/topology.js";
import { subscriberClientFor } from "./subscriber-client.js";

export const stackProject = "local-project";

/** The local Storage and Pub/Sub servers an ingress function runs against, with the env that points it there. */
export interface IngressStack {
  storage: LocalStorageServer;
  pubsub: LocalPubSubServer;
  /** Environment for the function under test (config file, emulator hosts, no metadata server). */
  env: Record<string, string>;
  /** The artifact bucket through the real client, for arranging manifests and reading the ledger. */
  blobs: GcsBlobStore;
  ledger: BucketLedger;
  claims: BucketClaimStore;
  /** Pulls and acknowledges exactly `count` messages from a topic's test subscription, decoded by its contract. */
  pull<T extends TopicName>(topic: T, count: number): Promise<Array<MessageOf<T>>>;
  /** The messages waiting on a topic's test subscription right now (acknowledged). */
  drain<T extends TopicName>(topic: T): Promise<Array<MessageOf<T>>>;
  close(): Promise<void>;
}

/** Starts both servers, creates the bucket, the topics and one pull subscription per topic, and writes the config. */
export async function startIngressStack(options: {
  configYaml: string;
  bucket: string;
  topics: TopicName[];
}): Promise<IngressStack> {
  const storage = await startStorageServer({ log: () => {} });
  const pubsub = await startPubSubServer({ log: () => {} });
  storage.createBucket(options.bucket);
  const dir = mkdtempSync(join(tmpdir(), "modelgate-ingress-"));
  const configPath = join(dir, "modelgate.config.yaml");
  writeFileSync(configPath, options.configYaml);

  const client = new PubSub({ projectId: stackProject, apiEndpoint: pubsub.address, emulatorMode: true });
  for (const topic of options.topics) {
    const [created] = await client.createTopic(topic);
    await created.createSubscription(`test-${topic}`);
  }
  const subscriber = await subscriberClientFor(client);
  const blobs = new GcsBlobStore(
    new Storage(localStorageClientOptions(storage.url, stackProject)),
    options.bucket,
  );

  const pullOnce = async (topic: TopicName, max: number, immediate: boolean) => {
    const subscription = `projects/${stackProject}/subscriptions/test-${topic}`;
    const [response] = await subscriber.pull({
      subscription,
      maxMessages: max,
      returnImmediately: immediate,
    });
    const received = response.receivedMessages ?? [];
    const ackIds = received.map((m) => m.ackId).filter((id): id is string => typeof id === "string");
    if (ackIds.length > 0) await subscriber.acknowledge({ subscription, ackIds });
    return received.map((m) => Buffer.from(m.message?.data ?? new Uint8Array()));
  };

  return {
    storage,
    pubsub,
    env: {
      MODELGATE_CONFIG: configPath,
      STORAGE_EMULATOR_HOST: storage.url,
      PUBSUB_EMULATOR_HOST: pubsub.address,
      METADATA_SERVER_DETECTION: "none",
      MODELGATE_IDENTITY: "ingress@local-project.iam.gserviceaccount.com",
    },
    blobs,
    ledger: new BucketLedger(blobs),
    claims: new BucketClaimStore(blobs),
    async pull(topic, count) {
      const messages: Buffer[] = [];
      for (let attempt = 0; attempt < 50 && messages.length < count; attempt++) {
        messages.push(...(await pullOnce(topic, count - messages.length, false)));
      }
      if (messages.length < count)
        throw new Error(`expected ${count} messages on ${topic}, got ${messages.length}`);
      return messages.map((data) => decodeMessage(topic, data));
    },
    async drain(topic) {
      return (await pullOnce(topic, 100, true)).map((data) => decodeMessage(topic, data));
    },
    async close() {
      await subscriber.close();
      await client.close();
      await pubsub.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
