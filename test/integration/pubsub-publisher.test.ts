// The runtime's publisher over the wire: the generated PublisherClient, built as the runtime builds it from
// PUBSUB_EMULATOR_HOST, against a gRPC Publisher that records each Publish and answers as the test says.
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadPubSubServices } from "../../local/pubsub/proto.js";
import { Attribute, parseMessage } from "../../shared/contracts.js";
import { ModelgateError, TransientError } from "../../shared/errors.js";
import { PubSubPublisher } from "../../shared/pubsub-publisher.js";
import { lazyPublisherClient } from "../../shared/pubsub-publisher-client.js";
import { pubsubClientOptions } from "../../shared/runtime.js";
import { Topic } from "../../shared/topology.js";
import { trainingRequest } from "../support/step-messages.js";

interface PublishRequest {
  topic: string;
  messages: Array<{ data: Buffer; attributes: Record<string, string> }>;
}

/** How the server answers each Publish, in order; past the end, it accepts. */
let answers: Array<{ code: status; details: string }> = [];
const received: PublishRequest[] = [];
const server = new Server();
let address = "";

beforeAll(async () => {
  server.addService(loadPubSubServices().publisher, {
    Publish: (call: ServerUnaryCall<PublishRequest, unknown>, done: sendUnaryData<unknown>) => {
      received.push(call.request);
      const answer = answers.shift();
      if (answer) done(answer);
      else done(null, { messageIds: call.request.messages.map((_, i) => `id-${received.length}-${i}`) });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  address = `127.0.0.1:${port}`;
});
afterAll(() => server.forceShutdown());
beforeEach(() => {
  answers = [];
  received.length = 0;
});

const publisher = () =>
  new PubSubPublisher(
    lazyPublisherClient(pubsubClientOptions({ pubsubEmulatorHost: address }, "local-project")),
    "local-project",
  );

describe("the runtime's publisher against a gRPC Publisher", () => {
  it("reaches PUBSUB_EMULATOR_HOST in plaintext, retries UNAVAILABLE as the client's Publish settings say, and returns the id", async () => {
    answers = [{ code: status.UNAVAILABLE, details: "try again" }];
    const message = trainingRequest();
    await expect(publisher().publish(Topic.trainingRequested, message)).resolves.toBe("id-2-0");
    expect(received).toHaveLength(2);
    const [, sent] = received;
    expect(sent?.topic).toBe(`projects/local-project/topics/${Topic.trainingRequested}`);
    expect(sent?.messages).toHaveLength(1);
    expect(sent?.messages[0]?.attributes).toMatchObject({
      [Attribute.model]: message.model,
      [Attribute.contract]: Topic.trainingRequested,
    });
    const data = JSON.parse(Buffer.from(sent?.messages[0]?.data ?? "").toString("utf8"));
    expect(parseMessage(Topic.trainingRequested, data)).toEqual(message);
  });

  it("does not retry PERMISSION_DENIED, and reports it as a permanent failure naming the topic", async () => {
    answers = [{ code: status.PERMISSION_DENIED, details: "no pubsub.topics.publish" }];
    const publishing = publisher().publish(Topic.trainingRequested, trainingRequest());
    await expect(publishing).rejects.toBeInstanceOf(ModelgateError);
    await expect(publishing).rejects.not.toBeInstanceOf(TransientError);
    await expect(publishing).rejects.toMatchObject({ retryable: false });
    await expect(publishing).rejects.toThrow(`publishing to ${Topic.trainingRequested} failed`);
    expect(received).toHaveLength(1);
  });
});
