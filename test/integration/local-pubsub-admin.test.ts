import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  againstEmulator,
  onOurServerOnly,
  type PubSubUnderTest,
  startPubSubUnderTest,
} from "../support/pubsub-under-test.js";

const projectId = "local-project";
const status = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, UNIMPLEMENTED: 12 } as const;

/**
 * A refusal as the real service words it: the resource named by its id (gcloud prints "Resource already exists in
 * the project (resource=myTopic2)."). gcloud's emulator words these its own way ("Topic already exists"), so
 * against it only the code is compared.
 */
function refusal(code: number, details: string) {
  return againstEmulator ? { code } : { code, details };
}

let target: PubSubUnderTest;
let pubsub: PubSub;
const refusals: Record<string, unknown>[] = [];

beforeAll(async () => {
  // Keep the client's credential discovery from probing the GCE metadata server.
  vi.stubEnv("METADATA_SERVER_DETECTION", "none");
  target = await startPubSubUnderTest({ log: (entry) => refusals.push(entry) });
  pubsub = new PubSub({ projectId, apiEndpoint: target.address, emulatorMode: true });
});

afterAll(async () => {
  await pubsub?.close();
  await target?.close();
  vi.unstubAllEnvs();
});

describe("local Pub/Sub server: topics", () => {
  it("creates, gets, lists and deletes a topic", async () => {
    const [topic] = await pubsub.createTopic("admin-topic");
    expect(topic.name).toBe(`projects/${projectId}/topics/admin-topic`);

    const [metadata] = await pubsub.topic("admin-topic").getMetadata();
    expect(metadata.name).toBe(`projects/${projectId}/topics/admin-topic`);

    const [topics] = await pubsub.getTopics();
    expect(topics.map((t) => t.name)).toContain(`projects/${projectId}/topics/admin-topic`);

    await pubsub.topic("admin-topic").delete();
    const [exists] = await pubsub.topic("admin-topic").exists();
    expect(exists).toBe(false);
  });

  it("answers ALREADY_EXISTS for a second create, with the real service's wording", async () => {
    await pubsub.createTopic("twice-topic");
    await expect(pubsub.createTopic("twice-topic")).rejects.toMatchObject(
      refusal(status.ALREADY_EXISTS, "Resource already exists in the project (resource=twice-topic)."),
    );
  });

  it("answers NOT_FOUND naming the missing topic", async () => {
    await expect(pubsub.topic("never-created").getMetadata()).rejects.toMatchObject(
      refusal(status.NOT_FOUND, "Resource not found (resource=never-created)."),
    );
    await expect(
      pubsub.topic("never-created").publishMessage({ data: Buffer.from("x") }),
    ).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it.each([
    ["too short", "ab"],
    ["starts with a digit", "9lives"],
    ["reserved goog prefix", "google-things"],
    ["a space", "has space"],
    ["too long", `t${"x".repeat(255)}`],
  ])("refuses a topic id with %s as INVALID_ARGUMENT", async (_why, id) => {
    await expect(pubsub.createTopic(id)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: `Invalid [topics] name: (name=projects/${projectId}/topics/${id})`,
    });
  });

  it("refuses a message with neither data nor attributes", async () => {
    const [topic] = await pubsub.createTopic("empty-message-topic");
    await expect(topic.publishMessage({ data: Buffer.alloc(0) })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    // Our server also logs the refusal (gcloud's emulator keeps its log to itself).
    if (target.local) {
      expect(refusals).toContainEqual(
        expect.objectContaining({ method: "Publish", code: "INVALID_ARGUMENT" }),
      );
    }
  });

  it("assigns numeric message ids", async () => {
    const [topic] = await pubsub.createTopic("id-topic");
    const ids = await Promise.all(
      [1, 2, 3].map((n) => topic.publishMessage({ data: Buffer.from(String(n)) })),
    );
    for (const id of ids) expect(id).toMatch(/^\d+$/);
    expect(new Set(ids).size).toBe(3);
  });
});

describe("local Pub/Sub server: subscriptions", () => {
  it("creates, gets, lists, updates and deletes a subscription with the service defaults", async () => {
    const [topic] = await pubsub.createTopic("sub-admin-topic");
    const [subscription] = await topic.createSubscription("sub-admin");
    const [metadata] = await subscription.getMetadata();
    expect(metadata).toMatchObject({
      name: `projects/${projectId}/subscriptions/sub-admin`,
      topic: `projects/${projectId}/topics/sub-admin-topic`,
      ackDeadlineSeconds: 10,
    });
    // The real service reports ACTIVE; gcloud's emulator leaves the state unspecified.
    if (!againstEmulator) expect(metadata.state).toBe("ACTIVE");

    const [subscriptions] = await pubsub.getSubscriptions();
    expect(subscriptions.map((s) => s.name)).toContain(`projects/${projectId}/subscriptions/sub-admin`);
    const [ofTopic] = await topic.getSubscriptions();
    expect(ofTopic.map((s) => s.name)).toEqual([`projects/${projectId}/subscriptions/sub-admin`]);

    const [updated] = await subscription.setMetadata({ ackDeadlineSeconds: 30 });
    expect(updated.ackDeadlineSeconds).toBe(30);

    await subscription.modifyPushConfig({ pushEndpoint: "http://127.0.0.1:9/push" });
    const [pushed] = await subscription.getMetadata();
    expect(pushed.pushConfig?.pushEndpoint).toBe("http://127.0.0.1:9/push");
    await subscription.modifyPushConfig({});

    await subscription.delete();
    const [exists] = await subscription.exists();
    expect(exists).toBe(false);
  });

  it("refuses a subscription to a missing topic, a duplicate, and a bad push endpoint", async () => {
    await expect(pubsub.topic("no-such-topic").createSubscription("orphan-sub")).rejects.toMatchObject(
      refusal(status.NOT_FOUND, "Resource not found (resource=no-such-topic)."),
    );
    const [topic] = await pubsub.createTopic("dup-sub-topic");
    await topic.createSubscription("dup-sub");
    await expect(topic.createSubscription("dup-sub")).rejects.toMatchObject({ code: status.ALREADY_EXISTS });
    await expect(
      topic.createSubscription("bad-push-sub", { pushConfig: { pushEndpoint: "ftp://example.invalid/x" } }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(
      topic.createSubscription("bad-deadline-sub", { ackDeadlineSeconds: 700 }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it("refuses a dead-letter topic that does not exist", async () => {
    const [topic] = await pubsub.createTopic("dlq-check-topic");
    await expect(
      topic.createSubscription("dlq-check-sub", {
        deadLetterPolicy: {
          deadLetterTopic: `projects/${projectId}/topics/absent-dlq`,
          maxDeliveryAttempts: 5,
        },
      }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it("keeps a subscription whose topic was deleted, pointing at _deleted-topic_", async () => {
    const [topic] = await pubsub.createTopic("doomed-topic");
    const [subscription] = await topic.createSubscription("survivor-sub");
    await topic.delete();
    const [metadata] = await subscription.getMetadata();
    expect(metadata.topic).toBe("_deleted-topic_");
  });

  it("serves a client configured only through PUBSUB_EMULATOR_HOST", async () => {
    vi.stubEnv("PUBSUB_EMULATOR_HOST", target.address);
    const fromEnv = new PubSub({ projectId });
    try {
      await fromEnv.createTopic("env-topic");
      const [exists] = await pubsub.topic("env-topic").exists();
      expect(exists).toBe(true);
    } finally {
      await fromEnv.close();
    }
  });

  // Ours only: gcloud's emulator has snapshots.
  onOurServerOnly(() => {
    it("answers UNIMPLEMENTED for methods it does not emulate", async () => {
      await expect(pubsub.getSnapshots()).rejects.toMatchObject({ code: status.UNIMPLEMENTED });
    });
  });
});
