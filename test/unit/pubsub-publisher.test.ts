import type { PublisherClient } from "@google-cloud/pubsub/build/src/v1/publisher_client.js";
import { describe, expect, it } from "vitest";
import { Attribute, parseMessage } from "../../shared/contracts.js";
import { ConfigError, TransientError, UpstreamError, ValidationError } from "../../shared/errors.js";
import { PubSubPublisher } from "../../shared/pubsub-publisher.js";
import { publisherClientOptions } from "../../shared/pubsub-publisher-client.js";
import { pubsubClientOptions } from "../../shared/runtime.js";
import { Topic } from "../../shared/topology.js";
import { trainingRequest } from "../support/step-messages.js";

const message = trainingRequest();

interface Sent {
  request: { topic: string; messages: Array<{ data: Buffer; attributes: Record<string, string> }> };
  options: unknown;
}

/** A PublisherClient that records what reaches `publish`; `answer` replaces its reply (or throws instead). */
function fakeClient(answer?: () => { messageIds?: string[] | null }) {
  const sent: Sent[] = [];
  const client = {
    publish: async (request: Sent["request"], options: unknown) => {
      const response = answer?.() ?? { messageIds: [String(sent.length + 1)] };
      sent.push({ request, options });
      return [response, undefined, undefined];
    },
  } as unknown as PublisherClient;
  return { client, sent };
}

const unavailable = () => {
  throw Object.assign(new Error("14 UNAVAILABLE: connection refused"), { code: 14 });
};

describe("PubSubPublisher", () => {
  it("publishes one message to the project's topic at once, with its attributes, and returns its id", async () => {
    const { client, sent } = fakeClient();
    const publisher = new PubSubPublisher(async () => client, "local-project");
    await expect(publisher.publish(Topic.trainingRequested, message)).resolves.toBe("1");
    await expect(publisher.publish(Topic.trainingRequested, message)).resolves.toBe("2");
    const [first] = sent;
    expect(first?.request.topic).toBe(`projects/local-project/topics/${Topic.trainingRequested}`);
    expect(first?.request.messages).toHaveLength(1);
    expect(first?.request.messages[0]?.attributes).toMatchObject({
      [Attribute.model]: "fraud-detector",
      [Attribute.contract]: Topic.trainingRequested,
    });
    const data = JSON.parse(first?.request.messages[0]?.data.toString("utf8") ?? "");
    expect(parseMessage(Topic.trainingRequested, data)).toEqual(message);
    // Not held for gax's bundling delay: the library's own publisher sends with the same option.
    expect(first?.options).toEqual({ isBundling: false });
  });

  it("loads the client on the first publish, and tries again after a failed load", async () => {
    const { client } = fakeClient();
    let loads = 0;
    const publisher = new PubSubPublisher(async () => {
      loads += 1;
      if (loads === 1) throw Object.assign(new Error("14 UNAVAILABLE: not yet"), { code: 14 });
      return client;
    }, "local-project");
    expect(loads).toBe(0);
    await expect(publisher.publish(Topic.trainingRequested, message)).rejects.toBeInstanceOf(TransientError);
    await expect(publisher.publish(Topic.trainingRequested, message)).resolves.toBe("1");
    expect(loads).toBe(2);
  });

  it("refuses a message that fails its contract before loading anything", async () => {
    let loads = 0;
    const publisher = new PubSubPublisher(async () => {
      loads += 1;
      return fakeClient().client;
    }, "local-project");
    const bad = { ...message, commit: "not a commit" };
    await expect(publisher.publish(Topic.trainingRequested, bad)).rejects.toBeInstanceOf(ValidationError);
    expect(loads).toBe(0);
  });

  it("turns an UNAVAILABLE answer into a retryable error naming the topic", async () => {
    const publisher = new PubSubPublisher(async () => fakeClient(unavailable).client, "local-project");
    const publishing = publisher.publish(Topic.trainingRequested, message);
    await expect(publishing).rejects.toBeInstanceOf(TransientError);
    await expect(publishing).rejects.toThrow(`publishing to ${Topic.trainingRequested} failed`);
  });

  it.each([{ messageIds: [] }, { messageIds: null }, {}])(
    "does not report an answer without a message id (%j) as published",
    async (answer) => {
      const publisher = new PubSubPublisher(async () => fakeClient(() => answer).client, "local-project");
      const publishing = publisher.publish(Topic.trainingRequested, message);
      await expect(publishing).rejects.toBeInstanceOf(UpstreamError);
      await expect(publishing).rejects.toThrow(/without a message id/);
    },
  );
});

describe("publisherClientOptions", () => {
  it("reaches Google with the library's defaults when no emulator is set", async () => {
    const options = await publisherClientOptions(pubsubClientOptions({ pubsubEmulatorHost: undefined }, "p"));
    expect(options).toEqual({
      projectId: "p",
      "grpc.keepalive_time_ms": 300_000,
      "grpc.keepalive_timeout_ms": 20_000,
    });
  });

  it("reaches PUBSUB_EMULATOR_HOST in plaintext, as the library's emulator mode does", async () => {
    const options = await publisherClientOptions(
      pubsubClientOptions({ pubsubEmulatorHost: "localhost:8085" }, "p"),
    );
    expect(options).toMatchObject({ projectId: "p", apiEndpoint: "localhost", port: 8085 });
    expect(options).toHaveProperty("sslCreds");
    expect((options as { sslCreds: { _isSecure(): boolean } }).sslCreds._isSecure()).toBe(false);
  });

  it("names an emulator host without a port", async () => {
    await expect(
      publisherClientOptions(pubsubClientOptions({ pubsubEmulatorHost: "localhost" }, "p")),
    ).rejects.toThrow(new ConfigError('PUBSUB_EMULATOR_HOST="localhost": must be "host:port"'));
  });
});
