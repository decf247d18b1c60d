import type { PubSub } from "@google-cloud/pubsub";
import { describe, expect, it } from "vitest";
import { Attribute } from "../../shared/contracts.js";
import { TransientError, ValidationError } from "../../shared/errors.js";
import { PubSubPublisher } from "../../shared/pubsub-publisher.js";
import { Topic } from "../../shared/topology.js";
import { trainingRequest } from "../support/step-messages.js";

const message = trainingRequest();

/** A client that records what reaches `publishMessage`; `fail` makes it answer like gRPC UNAVAILABLE. */
function fakeClient(fail = false) {
  const sent: Array<{ topic: string; attributes: Record<string, string> }> = [];
  const topics: string[] = [];
  const client = {
    topic: (name: string) => {
      topics.push(name);
      return {
        publishMessage: async (m: { attributes: Record<string, string> }) => {
          if (fail) throw Object.assign(new Error("14 UNAVAILABLE: connection refused"), { code: 14 });
          sent.push({ topic: name, attributes: m.attributes });
          return String(sent.length);
        },
      };
    },
  } as unknown as PubSub;
  return { client, sent, topics };
}

describe("PubSubPublisher", () => {
  it("loads the client on the first publish, once, and keeps one handle per topic", async () => {
    const { client, sent, topics } = fakeClient();
    let loads = 0;
    const publisher = new PubSubPublisher(async () => {
      loads += 1;
      return client;
    });
    expect(loads).toBe(0);
    await expect(publisher.publish(Topic.trainingRequested, message)).resolves.toBe("1");
    await expect(publisher.publish(Topic.trainingRequested, message)).resolves.toBe("2");
    expect(loads).toBe(1);
    expect(topics).toEqual([Topic.trainingRequested]);
    expect(sent[0]?.attributes).toMatchObject({
      [Attribute.model]: "fraud-detector",
      [Attribute.contract]: Topic.trainingRequested,
    });
  });

  it("shares one client load and one topic handle between concurrent first publishes, and retries a failed load", async () => {
    const { client, topics } = fakeClient();
    let loads = 0;
    const publisher = new PubSubPublisher(async () => {
      loads += 1;
      if (loads === 1) throw Object.assign(new Error("14 UNAVAILABLE: not yet"), { code: 14 });
      return client;
    });
    await expect(publisher.publish(Topic.trainingRequested, message)).rejects.toBeInstanceOf(TransientError);
    const ids = await Promise.all([
      publisher.publish(Topic.trainingRequested, message),
      publisher.publish(Topic.trainingRequested, message),
    ]);
    expect(ids.sort()).toEqual(["1", "2"]);
    expect(loads).toBe(2);
    expect(topics).toEqual([Topic.trainingRequested]);
  });

  it("refuses a message that fails its contract before loading anything", async () => {
    let loads = 0;
    const publisher = new PubSubPublisher(async () => {
      loads += 1;
      return fakeClient().client;
    });
    const bad = { ...message, commit: "not a commit" };
    await expect(publisher.publish(Topic.trainingRequested, bad)).rejects.toBeInstanceOf(ValidationError);
    expect(loads).toBe(0);
  });

  it("turns an UNAVAILABLE answer into a retryable error", async () => {
    const publisher = new PubSubPublisher(async () => fakeClient(true).client);
    await expect(publisher.publish(Topic.trainingRequested, message)).rejects.toBeInstanceOf(TransientError);
  });
});
