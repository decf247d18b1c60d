import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPubSubServer } from "../../local/pubsub/index.js";
import { pubsubClientOptions } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { deadLetterTopic, FunctionName, subscriptionFor, Topic, topicNames } from "../../shared/topology.js";
import { startLocalServers, type TestServers } from "../support/local-servers.js";

describe("local servers for a configuration", () => {
  let servers: TestServers;
  beforeAll(async () => {
    servers = await startLocalServers();
  });
  afterAll(async () => {
    await servers?.close();
  });

  it("creates every topic, dead-letter topic and trigger subscription from the one topology", async () => {
    const pubsub = new PubSub(pubsubClientOptions(loadSettings(servers.env), "local-project"));
    const [topics] = await pubsub.getTopics();
    const names = topics.map((t) => t.name.split("/").pop());
    for (const topic of topicNames) {
      expect(names).toContain(topic);
      expect(names).toContain(deadLetterTopic(topic));
    }
    const [metadata] = await pubsub.subscription(subscriptionFor(Topic.deploymentRequested)).getMetadata();
    expect(metadata.deadLetterPolicy?.deadLetterTopic).toBe(
      "projects/local-project/topics/deployment-requested-dead-letter",
    );
    expect(metadata.deadLetterPolicy?.maxDeliveryAttempts).toBe(15);
    await pubsub.close();
  });

  it("seeds the example data and golden set into the bucket", async () => {
    const runtime = servers.runtime();
    const names = (await runtime.blobs.list("")).map((o) => o.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "datasets/fraud-detector/train.jsonl",
        "datasets/fraud-detector/train-shifted.jsonl",
        "golden/fraud-detector/golden.jsonl",
      ]),
    );
  });

  it("creates the model's endpoint, reachable through the real Vertex AI client", async () => {
    const { EndpointServiceClient } = await import(
      "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js"
    );
    const { vertexClientOptions } = await import("../../shared/vertex/client-options.js");
    const client = new EndpointServiceClient(
      await vertexClientOptions(loadSettings(servers.env).vertexEndpoint, "us-central1"),
    );
    const [endpoint] = await client.getEndpoint({
      name: "projects/local-project/locations/us-central1/endpoints/fraud-detector",
    });
    expect(endpoint.deployedModels ?? []).toHaveLength(0);
    await client.close();
  });
});

describe("local servers with another Pub/Sub server (PUBSUB_EMULATOR_HOST)", () => {
  it("start no Pub/Sub of their own, create the topology there, and point its push subscriptions at this run", async () => {
    // Our own server stands in for gcloud's emulator: a Pub/Sub the stack did not start and that outlives it.
    const other = await startPubSubServer();
    const pubsub = new PubSub(
      pubsubClientOptions(loadSettings({ PUBSUB_EMULATOR_HOST: other.address }), "local-project"),
    );
    const run = (pushEndpoint: string) =>
      startLocalServers({
        pubsubEmulatorHost: other.address,
        seed: false,
        topology: { pushEndpoints: { [FunctionName.deployModel]: pushEndpoint } },
      });
    const pushEndpoint = async () =>
      (await pubsub.subscription(subscriptionFor(Topic.deploymentRequested)).getMetadata())[0].pushConfig
        ?.pushEndpoint;
    try {
      const first = await run("http://127.0.0.1:9/first-run");
      expect(first.pubsub).toBeNull();
      expect(first.env.PUBSUB_EMULATOR_HOST).toBe(other.address);
      expect(first.identity.envFor(FunctionName.deployModel).PUBSUB_EMULATOR_HOST).toBe(other.address);
      expect(await pushEndpoint()).toBe("http://127.0.0.1:9/first-run");
      await first.close();

      // A second run finds the subscription from the first, and must not leave it pushing to the old port.
      const second = await run("http://127.0.0.1:9/second-run");
      expect(await pushEndpoint()).toBe("http://127.0.0.1:9/second-run");
      await second.close();
    } finally {
      await pubsub.close();
      await other.close();
    }
  });
});
