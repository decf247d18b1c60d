import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { http } from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  againstEmulator,
  onOurServerOnly,
  topicWithDeadLetters,
  usePubSubClients,
} from "../support/pubsub-under-test.js";
import { deadLetterAttributes, pullSome } from "../support/subscriber-client.js";

const projectId = "local-project";
const topicPath = (id: string) => `projects/${projectId}/topics/${id}`;
const subscriptionPath = (id: string) => `projects/${projectId}/subscriptions/${id}`;
// The push envelope as Pub/Sub documents it (https://cloud.google.com/pubsub/docs/push); the captured one is
// compared in test/contract/.
const messageFields = ["attributes", "data", "messageId", "message_id", "publishTime", "publish_time"];

interface PushEnvelope {
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

/** What an endpoint saw: when, the message id, the request headers and the parsed body. */
interface Seen {
  at: number;
  id: string;
  headers: IncomingHttpHeaders;
  data: PushEnvelope;
}

// An HTTP function served by the real Functions Framework, as the Pub/Sub-triggered functions are registered; a
// message asking to fail answers 500, as they do for a retryable failure.
const functionRequests: Seen[] = [];
http("localPubsubPushProbe", (req, res) => {
  const data = req.body as PushEnvelope;
  functionRequests.push({ at: Date.now(), id: data.message.messageId, headers: req.headers, data });
  res.status(data.message.attributes?.fail === "always" ? 500 : 204).end();
});

// A plain endpoint whose answer each message chooses through its attributes.
const plainRequests: Array<Seen & { inFlightForKey: number }> = [];
const inFlightByKey = new Map<string, number>();
const failedOnce = new Set<string>();

const under = usePubSubClients();
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

/** Our server, for the tests of what only it offers (faults, stats, dead-lettering over push). */
function local() {
  if (!under.target.local) throw new Error("needs modelgate's own Pub/Sub server");
  return under.target.local;
}

beforeAll(async () => {
  vi.stubEnv("METADATA_SERVER_DETECTION", "none");

  functionServer = getTestServer("localPubsubPushProbe");
  functionUrl = await listen(functionServer);

  plainServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const data = JSON.parse(Buffer.concat(chunks).toString("utf8")) as PushEnvelope;
      const id = data.message.messageId;
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
  await close(functionServer);
  await close(plainServer);
  vi.unstubAllEnvs();
});

describe("local Pub/Sub server: push as Pub/Sub sends it to a Cloud Function", () => {
  it("POSTs the push envelope, as JSON, to an HTTP function served by the Functions Framework", async () => {
    const [topic] = await under.pubsub.createTopic("ff-topic");
    await topic.createSubscription("ff-sub", { pushConfig: { pushEndpoint: functionUrl } });
    const payload = { model: "fraud-detector", gitCommit: "3f2c1a9" };
    const id = await topic.publishMessage({ json: payload, attributes: { source: "tekton" } });
    const seen = () => functionRequests.filter((e) => e.id === id);
    await under.target.settle(() => seen().length > 0, "the function got the message");

    expect(seen()).toHaveLength(1);
    const { headers, data } = seen()[0] ?? expect.unreachable();
    expect(headers["content-type"]).toMatch(/^application\/json/);
    expect(Object.keys(headers).filter((h) => h.startsWith("ce-"))).toEqual([]);
    expect(data.subscription).toBe(subscriptionPath("ff-sub"));
    expect(data.message.messageId).toBe(id);
    expect(data.message.message_id).toBe(id);
    expect(data.message.publish_time).toBe(data.message.publishTime);
    expect(JSON.parse(Buffer.from(data.message.data ?? "", "base64").toString("utf8"))).toEqual(payload);
    expect(data.message.attributes).toEqual({ source: "tekton" });
    // No dead-letter policy: no deliveryAttempt.
    expect(data.deliveryAttempt).toBeUndefined();
    expect(Object.keys(data).sort()).toEqual(["message", "subscription"]);
    expect(Object.keys(data.message).sort()).toEqual(messageFields);
  });

  // gcloud's emulator neither counts push attempts nor dead-letters (docs/pubsub-push.md).
  onOurServerOnly(() => {
    it("retries a failing function with growing backoff, counts attempts, then dead-letters it", async () => {
      const topic = await topicWithDeadLetters(under.pubsub, "ff-fail", 5, {
        pushConfig: { pushEndpoint: functionUrl },
        retryPolicy: { minimumBackoff: { seconds: 0, nanos: 80_000_000 }, maximumBackoff: { seconds: 5 } },
      });
      const id = await topic.publishMessage({ data: Buffer.from("poison"), attributes: { fail: "always" } });
      await local().idle();

      const attempts = functionRequests.filter((e) => e.id === id);
      expect(attempts.map((e) => e.data.deliveryAttempt)).toEqual([1, 2, 3, 4, 5]);
      const gaps = attempts.slice(1).map((e, i) => e.at - (attempts[i]?.at ?? 0));
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1] ?? 0);

      const [dead] = await pullSome(under.subscriber, subscriptionPath("ff-fail-dead-sub"));
      expect(dead?.message?.data?.toString()).toBe("poison");
      expect(dead?.message?.attributes).toMatchObject({
        fail: "always",
        ...deadLetterAttributes(5, "ff-fail-sub", projectId),
        CloudPubSubDeadLetterSourceDeliveryErrorMessage: "HTTP 500",
      });
      expect(local().stats().deadLettered).toContainEqual(
        expect.objectContaining({
          subscription: subscriptionPath("ff-fail-sub"),
          messageId: id,
          deliveryAttempts: 5,
        }),
      );
    });
  });
});

describe("local Pub/Sub server: push responses, faults and ordering", () => {
  let seq = 0;
  /**
   * A fresh topic with a push subscription to the plain endpoint; with `deadLetter`, a dead-letter topic after 2
   * attempts (below the real API's minimum of 5, which only our server accepts, so tests reach it quickly).
   */
  async function pushTopic(options: { ordered?: boolean; endpoint?: string; deadLetter?: boolean } = {}) {
    seq += 1;
    const [topic] = await under.pubsub.createTopic(`plain-topic-${seq}`, {});
    const [dead] = await under.pubsub.createTopic(`plain-dead-${seq}`);
    await dead.createSubscription(`plain-dead-sub-${seq}`);
    await topic.createSubscription(`plain-sub-${seq}`, {
      pushConfig: { pushEndpoint: options.endpoint ?? plainUrl },
      enableMessageOrdering: options.ordered === true,
      retryPolicy: { minimumBackoff: { seconds: 0, nanos: 10_000_000 }, maximumBackoff: { seconds: 1 } },
      ...(options.deadLetter === false
        ? {}
        : { deadLetterPolicy: { deadLetterTopic: topicPath(`plain-dead-${seq}`), maxDeliveryAttempts: 2 } }),
    });
    const publisher = options.ordered
      ? under.pubsub.topic(`plain-topic-${seq}`, { messageOrdering: true })
      : topic;
    return { publisher, deadSubscription: subscriptionPath(`plain-dead-sub-${seq}`) };
  }

  it("sends JSON with Google's user agent and no CloudEvent headers", async () => {
    const { publisher } = await pushTopic({ deadLetter: false });
    const id = await publisher.publishMessage({ data: Buffer.from("h") });
    const seen = () => plainRequests.filter((r) => r.id === id);
    await under.target.settle(() => seen().length > 0, "the endpoint got the message");
    const request = seen()[0] ?? expect.unreachable();
    expect(request.headers["content-type"]).toMatch(/^application\/json/);
    expect(Object.keys(request.headers).filter((h) => h.startsWith("ce-"))).toEqual([]);
    // gcloud's emulator sends its Java runtime's user agent instead.
    if (!againstEmulator) expect(request.headers["user-agent"]).toMatch(/^APIs-Google; /);
  });

  // Pub/Sub documents 102, 200, 201, 202 and 204 as acknowledgements; gcloud's emulator redelivers after a 202.
  it.each(againstEmulator ? [200, 201, 204] : [200, 201, 202, 204])(
    "counts HTTP %i as an acknowledgement",
    async (status) => {
      const { publisher } = await pushTopic({ deadLetter: false });
      const id = await publisher.publishMessage({
        data: Buffer.from("ok"),
        attributes: { status: String(status) },
      });
      const seen = () => plainRequests.filter((r) => r.id === id);
      await under.target.settle(() => seen().length > 0, `the endpoint answered ${status}`);
      expect(seen()).toHaveLength(1);
    },
  );

  it("redelivers after a status that is not an acknowledgement", async () => {
    const { publisher } = await pushTopic({ deadLetter: false });
    const id = await publisher.publishMessage({
      data: Buffer.from("once more"),
      attributes: { failFirst: "true" },
    });
    const seen = () => plainRequests.filter((r) => r.id === id);
    await under.target.settle(() => seen().length >= 2, "the endpoint got the message again after a 500");
    expect(seen()).toHaveLength(2);
  });

  // From here on: what gcloud's emulator does not do (dead-lettering, attempt counts) or does not have (faults).
  onOurServerOnly(() => {
    it.each([400, 404, 429, 503])("redelivers after HTTP %i until the delivery limit", async (status) => {
      const { publisher, deadSubscription } = await pushTopic();
      const id = await publisher.publishMessage({
        data: Buffer.from("no"),
        attributes: { status: String(status) },
      });
      await local().idle();
      expect(plainRequests.filter((r) => r.id === id).map((r) => r.data.deliveryAttempt)).toEqual([1, 2]);
      const [dead] = await pullSome(under.subscriber, deadSubscription);
      expect(dead?.message?.attributes?.CloudPubSubDeadLetterSourceDeliveryErrorMessage).toBe(
        `HTTP ${status}`,
      );
    });

    it("redelivers when the endpoint refuses the connection", async () => {
      const unused = createServer();
      const refusedUrl = await listen(unused);
      await close(unused);
      const { publisher, deadSubscription } = await pushTopic({ endpoint: refusedUrl });
      await publisher.publishMessage({ data: Buffer.from("nobody home") });
      await local().idle();
      const [dead] = await pullSome(under.subscriber, deadSubscription);
      expect(dead?.message?.attributes?.CloudPubSubDeadLetterSourceDeliveryCount).toBe("2");
      expect(dead?.message?.attributes?.CloudPubSubDeadLetterSourceDeliveryErrorMessage).toMatch(
        /ECONNREFUSED/,
      );
    });

    it("delivers every message three times with the duplicate fault", async () => {
      const { publisher } = await pushTopic();
      const before = local().stats().deliveriesAttempted;
      local().faults.duplicate = 3;
      try {
        const id = await publisher.publishMessage({ data: Buffer.from("dup") });
        await local().idle();
        const copies = plainRequests.filter((r) => r.id === id);
        expect(copies).toHaveLength(3);
        expect(new Set(copies.map((c) => c.data.deliveryAttempt))).toEqual(new Set([1]));
        expect(local().stats().deliveriesAttempted - before).toBe(3);
      } finally {
        local().faults.duplicate = 1;
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
              await publisher.publishMessage({
                data: Buffer.from(`${key}${n}`),
                orderingKey: key,
                attributes,
              }),
            );
          }
        }),
      );
      await local().idle();
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
      local().faults.delayMs = 30;
      try {
        const id = await publisher.publishMessage({
          data: Buffer.from("slow"),
          attributes: { holdMs: "60" },
        });
        await local().idle();
        expect(plainRequests.filter((r) => r.id === id)).toHaveLength(1);
        // The endpoint had answered (its in-flight count is back to zero) before idle() resolved.
        expect(inFlightByKey.get("")).toBe(0);
      } finally {
        local().faults.delayMs = 0;
      }
    });
  });
});
