import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CloudEvent, cloudEvent } from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { PubSub, v1 } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type LocalPubSubServer, startPubSubServer } from "../../local/pubsub/index.js";

const projectId = "local-project";
const topicPath = (id: string) => `projects/${projectId}/topics/${id}`;
const subscriptionPath = (id: string) => `projects/${projectId}/subscriptions/${id}`;
// MessagePublishedData and the binary-mode CloudEvent headers as Eventarc documents them for
// google.cloud.pubsub.topic.v1.messagePublished (the real captured events are compared in test/contract/).
const messageFields = ["attributes", "data", "messageId", "message_id", "publishTime", "publish_time"];
const eventHeaders = ["ce-id", "ce-source", "ce-specversion", "ce-type", "ce-time"];

interface MessagePublishedData {
  message: {
    data?: string;
    attributes?: Record<string, string>;
    messageId: string;
    message_id: string;
    publishTime: string;
    publish_time: string;
    orderingKey?: string;
  };
  subscription: string;
  deliveryAttempt?: number;
}

/** What an endpoint saw: when, the CloudEvent id, and the decoded body. */
interface Seen {
  at: number;
  id: string;
  data: MessagePublishedData;
}

// A CloudEvent function served by the real Functions Framework; a message asking to fail makes it
// throw, which the framework turns into a 500, as in production.
const functionEvents: Array<Seen & { event: CloudEvent<MessagePublishedData> }> = [];
cloudEvent<MessagePublishedData>("localPubsubPushProbe", (event: CloudEvent<MessagePublishedData>) => {
  if (!event.data) throw new Error("no data");
  functionEvents.push({ at: Date.now(), id: event.id, data: event.data, event });
  if (event.data.message.attributes?.fail === "always") throw new Error("asked to fail");
});

// A plain endpoint whose answer each message chooses through its attributes.
const plainRequests: Array<Seen & { headers: IncomingHttpHeaders; inFlightForKey: number }> = [];
const inFlightByKey = new Map<string, number>();
const failedOnce = new Set<string>();

let server: LocalPubSubServer;
let pubsub: PubSub;
let subscriber: v1.SubscriberClient;
let functionServer: Server;
let functionUrl: string;
let plainServer: Server;
let plainUrl: string;

function listen(httpServer: Server): Promise<string> {
  return new Promise((resolve) => {
    httpServer.listen(0, "127.0.0.1", () =>
      resolve(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/`),
    );
  });
}

function close(httpServer: Server | undefined): Promise<void> {
  return new Promise((resolve) => (httpServer ? httpServer.close(() => resolve()) : resolve()));
}

beforeAll(async () => {
  vi.stubEnv("METADATA_SERVER_DETECTION", "none");
  // The Functions Framework prints the stack of every failing invocation; these failures are on purpose.
  vi.spyOn(console, "error").mockImplementation(() => {});
  server = await startPubSubServer();
  pubsub = new PubSub({ projectId, apiEndpoint: server.address, emulatorMode: true });
  // Its options type is stricter than the ClientConfig type under exactOptionalPropertyTypes; same shape.
  subscriber = new v1.SubscriberClient(
    (await pubsub.getClientConfig()) as ConstructorParameters<typeof v1.SubscriberClient>[0],
  );

  functionServer = getTestServer("localPubsubPushProbe");
  functionUrl = await listen(functionServer);

  plainServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const data = JSON.parse(Buffer.concat(chunks).toString("utf8")) as MessagePublishedData;
      const id = String(req.headers["ce-id"]);
      const attributes = data.message.attributes ?? {};
      const key = data.message.orderingKey ?? "";
      const inFlight = (inFlightByKey.get(key) ?? 0) + 1;
      inFlightByKey.set(key, inFlight);
      plainRequests.push({ at: Date.now(), id, data, headers: req.headers, inFlightForKey: inFlight });
      let status = Number(attributes.status ?? 204);
      if (attributes.failFirst === "true" && !failedOnce.has(id)) {
        failedOnce.add(id);
        status = 500;
      }
      setTimeout(
        () => {
          inFlightByKey.set(key, (inFlightByKey.get(key) ?? 1) - 1);
          res.writeHead(status).end();
        },
        Number(attributes.holdMs ?? 0),
      );
    });
  });
  plainUrl = await listen(plainServer);
});

afterAll(async () => {
  await subscriber?.close();
  await pubsub?.close();
  await server?.close();
  await close(functionServer);
  await close(plainServer);
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** Unary Pull until at least one message comes back. */
async function pullSome(subscription: string) {
  for (let i = 0; i < 20; i++) {
    const [response] = await subscriber.pull({ subscription, maxMessages: 10 });
    const messages = response.receivedMessages ?? [];
    if (messages.length > 0) return messages;
  }
  throw new Error(`no message arrived on ${subscription}`);
}

describe("local Pub/Sub server: push as Eventarc delivers to a Cloud Function", () => {
  it("delivers a binary-mode messagePublished CloudEvent the Functions Framework decodes", async () => {
    const [topic] = await pubsub.createTopic("ff-topic");
    await topic.createSubscription("ff-sub", { pushConfig: { pushEndpoint: functionUrl } });
    const payload = { model: "fraud-detector", gitCommit: "3f2c1a9" };
    const id = await topic.publishMessage({ json: payload, attributes: { source: "tekton" } });
    await server.idle();

    const seen = functionEvents.filter((e) => e.id === id);
    expect(seen).toHaveLength(1);
    const { event, data } = seen[0] ?? expect.unreachable();
    expect(event.specversion).toBe("1.0");
    expect(event.type).toBe("google.cloud.pubsub.topic.v1.messagePublished");
    expect(event.source).toBe(`//pubsub.googleapis.com/${topicPath("ff-topic")}`);
    expect(event.time).toBe(data.message.publishTime);
    expect(data.subscription).toBe(subscriptionPath("ff-sub"));
    expect(data.message.messageId).toBe(id);
    expect(data.message.message_id).toBe(id);
    expect(data.message.publish_time).toBe(data.message.publishTime);
    expect(JSON.parse(Buffer.from(data.message.data ?? "", "base64").toString("utf8"))).toEqual(payload);
    expect(data.message.attributes).toEqual({ source: "tekton" });
    // No dead-letter policy: no deliveryAttempt, as in the assembled Eventarc fixture.
    expect(data.deliveryAttempt).toBeUndefined();
    expect(Object.keys(data).sort()).toEqual(["message", "subscription"]);
    expect(Object.keys(data.message).sort()).toEqual(messageFields);
  });

  it("retries a failing function with growing backoff, counts attempts, then dead-letters it", async () => {
    const [topic] = await pubsub.createTopic("ff-fail-topic");
    const [deadLetters] = await pubsub.createTopic("ff-fail-dead");
    await deadLetters.createSubscription("ff-fail-dead-sub");
    await topic.createSubscription("ff-fail-sub", {
      pushConfig: { pushEndpoint: functionUrl },
      retryPolicy: { minimumBackoff: { seconds: 0, nanos: 80_000_000 }, maximumBackoff: { seconds: 5 } },
      deadLetterPolicy: { deadLetterTopic: topicPath("ff-fail-dead"), maxDeliveryAttempts: 5 },
    });
    const id = await topic.publishMessage({ data: Buffer.from("poison"), attributes: { fail: "always" } });
    await server.idle();

    const attempts = functionEvents.filter((e) => e.id === id);
    expect(attempts.map((e) => e.data.deliveryAttempt)).toEqual([1, 2, 3, 4, 5]);
    const gaps = attempts.slice(1).map((e, i) => e.at - (attempts[i]?.at ?? 0));
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1] ?? 0);

    const [dead] = await pullSome(subscriptionPath("ff-fail-dead-sub"));
    expect(dead?.message?.data?.toString()).toBe("poison");
    expect(dead?.message?.attributes).toMatchObject({
      fail: "always",
      CloudPubSubDeadLetterSourceDeliveryCount: "5",
      CloudPubSubDeadLetterSourceSubscription: "ff-fail-sub",
      CloudPubSubDeadLetterSourceSubscriptionProject: projectId,
      CloudPubSubDeadLetterSourceDeliveryErrorMessage: "HTTP 500",
    });
    expect(server.stats().deadLettered).toContainEqual(
      expect.objectContaining({
        subscription: subscriptionPath("ff-fail-sub"),
        messageId: id,
        deliveryAttempts: 5,
      }),
    );
  });
});

describe("local Pub/Sub server: push responses, faults and ordering", () => {
  let seq = 0;
  /** A fresh topic with a push subscription to the plain endpoint (and a dead-letter topic after 2 attempts). */
  async function pushTopic(options: { ordered?: boolean; endpoint?: string } = {}) {
    seq += 1;
    const [topic] = await pubsub.createTopic(`plain-topic-${seq}`, {});
    const [dead] = await pubsub.createTopic(`plain-dead-${seq}`);
    await dead.createSubscription(`plain-dead-sub-${seq}`);
    await topic.createSubscription(`plain-sub-${seq}`, {
      pushConfig: { pushEndpoint: options.endpoint ?? plainUrl },
      enableMessageOrdering: options.ordered === true,
      retryPolicy: { minimumBackoff: { seconds: 0, nanos: 10_000_000 }, maximumBackoff: { seconds: 1 } },
      deadLetterPolicy: { deadLetterTopic: topicPath(`plain-dead-${seq}`), maxDeliveryAttempts: 2 },
    });
    const publisher = options.ordered ? pubsub.topic(`plain-topic-${seq}`, { messageOrdering: true }) : topic;
    return { publisher, deadSubscription: subscriptionPath(`plain-dead-sub-${seq}`) };
  }

  it("sends the Eventarc headers", async () => {
    const { publisher } = await pushTopic();
    const id = await publisher.publishMessage({ data: Buffer.from("h") });
    await server.idle();
    const request = plainRequests.find((r) => r.id === id) ?? expect.unreachable();
    for (const header of eventHeaders) {
      expect(request.headers[header], header).toBeTruthy();
    }
    expect(request.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(request.headers["ce-time"]).toBe(request.data.message.publishTime);
  });

  it.each([200, 201, 202, 204])("counts HTTP %i as an acknowledgement", async (status) => {
    const { publisher } = await pushTopic();
    const id = await publisher.publishMessage({
      data: Buffer.from("ok"),
      attributes: { status: String(status) },
    });
    await server.idle();
    expect(plainRequests.filter((r) => r.id === id)).toHaveLength(1);
  });

  it.each([400, 404, 429, 503])("redelivers after HTTP %i until the delivery limit", async (status) => {
    const { publisher, deadSubscription } = await pushTopic();
    const id = await publisher.publishMessage({
      data: Buffer.from("no"),
      attributes: { status: String(status) },
    });
    await server.idle();
    expect(plainRequests.filter((r) => r.id === id).map((r) => r.data.deliveryAttempt)).toEqual([1, 2]);
    const [dead] = await pullSome(deadSubscription);
    expect(dead?.message?.attributes?.CloudPubSubDeadLetterSourceDeliveryErrorMessage).toBe(`HTTP ${status}`);
  });

  it("redelivers when the endpoint refuses the connection", async () => {
    const unused = createServer();
    const refusedUrl = await listen(unused);
    await close(unused);
    const { publisher, deadSubscription } = await pushTopic({ endpoint: refusedUrl });
    await publisher.publishMessage({ data: Buffer.from("nobody home") });
    await server.idle();
    const [dead] = await pullSome(deadSubscription);
    expect(dead?.message?.attributes?.CloudPubSubDeadLetterSourceDeliveryCount).toBe("2");
    expect(dead?.message?.attributes?.CloudPubSubDeadLetterSourceDeliveryErrorMessage).toMatch(
      /ECONNREFUSED/,
    );
  });

  it("delivers every message three times with the duplicate fault", async () => {
    const { publisher } = await pushTopic();
    const before = server.stats().deliveriesAttempted;
    server.faults.duplicate = 3;
    try {
      const id = await publisher.publishMessage({ data: Buffer.from("dup") });
      await server.idle();
      const copies = plainRequests.filter((r) => r.id === id);
      expect(copies).toHaveLength(3);
      expect(new Set(copies.map((c) => c.data.deliveryAttempt))).toEqual(new Set([1]));
      expect(server.stats().deliveriesAttempted - before).toBe(3);
    } finally {
      server.faults.duplicate = 1;
    }
  });

  it("keeps one push in flight per ordering key, in publish order, across a failed attempt", async () => {
    const { publisher } = await pushTopic({ ordered: true });
    const ids: Record<string, string[]> = { a: [], b: [] };
    await Promise.all(
      (["a", "b"] as const).map(async (key) => {
        for (const n of [1, 2, 3]) {
          const attributes: Record<string, string> = { holdMs: "15" };
          if (n === 1) attributes.failFirst = "true";
          ids[key]?.push(
            await publisher.publishMessage({ data: Buffer.from(`${key}${n}`), orderingKey: key, attributes }),
          );
        }
      }),
    );
    await server.idle();
    for (const key of ["a", "b"] as const) {
      const requests = plainRequests.filter(
        (r) => r.data.message.orderingKey === key && ids[key]?.includes(r.id),
      );
      const [first, second, third] = ids[key] ?? [];
      // The first message fails once and is retried before the rest of its key moves on.
      expect(requests.map((r) => r.id)).toEqual([first, first, second, third]);
      expect(Math.max(...requests.map((r) => r.inFlightForKey))).toBe(1);
    }
  });

  it("idle() waits for a delayed push the endpoint is still holding", async () => {
    const { publisher } = await pushTopic();
    server.faults.delayMs = 30;
    try {
      const id = await publisher.publishMessage({ data: Buffer.from("slow"), attributes: { holdMs: "60" } });
      await server.idle();
      expect(plainRequests.filter((r) => r.id === id)).toHaveLength(1);
      // The endpoint had answered (its in-flight count is back to zero) before idle() resolved.
      expect(inFlightByKey.get("")).toBe(0);
    } finally {
      server.faults.delayMs = 0;
    }
  });
});
