import { createServer, type IncomingMessage, type Server } from "node:http";
import { PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { type LocalPubSubServer, startPubSubServer } from "../../local/pubsub/index.js";
import { createTopology } from "../../local/topology-setup.js";
import { pubsubClientOptions } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { deadLetterTopic, subscriptionFor, Topic } from "../../shared/topology.js";

function capture(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env }, out, err };
}

describe("modelgate replay", () => {
  let server: LocalPubSubServer;
  let pubsub: PubSub;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startPubSubServer();
    env = { PUBSUB_EMULATOR_HOST: server.address, MODELGATE_STATE_DIR: "/nonexistent" };
    pubsub = new PubSub(pubsubClientOptions(loadSettings(env), "local-project"));
    await createTopology(pubsub);
  });
  afterAll(async () => {
    await pubsub?.close();
    await server?.close();
  });

  it("moves dead letters back to their topic without the dead-letter attributes, and a dry run moves nothing", async () => {
    const dlq = pubsub.topic(deadLetterTopic(Topic.deploymentRequested));
    await dlq.publishMessage({
      data: Buffer.from('{"model":"fraud-detector"}'),
      attributes: { "modelgate-model": "fraud-detector", CloudPubSubDeadLetterSourceDeliveryCount: "15" },
    });

    const dry = capture(env);
    expect(await runCli(["replay", "--subscription", "deployment-requested", "--dry-run"], dry.io)).toBe(0);
    expect(dry.out.join("")).toContain("would replay 1 message(s)");

    const real = capture(env);
    expect(await runCli(["replay", "--subscription", "deployment-requested-dead-letter-hold"], real.io)).toBe(
      0,
    );
    expect(real.out.join("")).toContain("replayed 1 message(s)");

    // The trigger subscription (pull here: no push endpoint) now holds the message again.
    const received = await new Promise<{ data: string; attributes: Record<string, string> }>((resolve) => {
      const sub = pubsub.subscription(subscriptionFor(Topic.deploymentRequested));
      sub.on("message", (m) => {
        m.ack();
        void sub.close();
        resolve({ data: m.data.toString(), attributes: m.attributes });
      });
    });
    expect(received.data).toBe('{"model":"fraud-detector"}');
    expect(received.attributes).toEqual({ "modelgate-model": "fraud-detector" });

    const again = capture(env);
    expect(await runCli(["replay", "--subscription", "deployment-requested"], again.io)).toBe(0);
    expect(again.out.join("")).toContain("replayed 0 message(s)");
  });

  it("names the dead-letter subscriptions when given an unknown one", async () => {
    const c = capture(env);
    expect(await runCli(["replay", "--subscription", "nope"], c.io)).toBe(2);
    expect(c.err.join("")).toContain("training-requested-dead-letter-hold");
  });
});

describe("modelgate github register", () => {
  let api: Server;
  let base: string;
  const hooks: Array<{ id: number; config: Record<string, string>; events: string[]; active: boolean }> = [];
  const requests: Array<{ method: string; url: string; auth: string | undefined }> = [];
  beforeAll(async () => {
    api = createServer(async (req: IncomingMessage, res) => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", auth: req.headers.authorization });
      let body = "";
      for await (const chunk of req) body += chunk;
      const json = body ? JSON.parse(body) : undefined;
      if (req.headers.authorization !== "Bearer t0ken") {
        res.writeHead(401).end('{"message":"Bad credentials"}');
        return;
      }
      const match = req.url?.match(/^\/repos\/acme\/fraud-detector\/hooks(?:\/(\d+))?/);
      if (!match) {
        res.writeHead(404).end('{"message":"Not Found"}');
        return;
      }
      if (req.method === "GET") res.writeHead(200).end(JSON.stringify(hooks));
      else if (req.method === "POST") {
        const hook = { id: hooks.length + 1, ...json };
        hooks.push(hook);
        res.writeHead(201).end(JSON.stringify(hook));
      } else if (req.method === "PATCH") {
        const hook = hooks.find((h) => h.id === Number(match[1]));
        Object.assign(hook ?? {}, json);
        res.writeHead(200).end(JSON.stringify(hook));
      }
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    const address = api.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

  const hookSecret = "s3cret-s3cret-s3cret-s3cret-s3cret";
  const env = () => ({
    GITHUB_API_URL: base,
    GITHUB_TOKEN: "t0ken",
    GITHUB_WEBHOOK_SECRET: `${hookSecret}\n${"old-".repeat(8)}`,
  });

  it("creates the hook once and updates it on a second run (idempotent)", async () => {
    const args = [
      "github",
      "register",
      "--repo",
      "acme/fraud-detector",
      "--url",
      "https://fn.example/githubWebhook",
    ];
    const first = capture(env());
    expect(await runCli(args, first.io)).toBe(0);
    expect(first.out.join("")).toContain("created webhook 1");
    const second = capture(env());
    expect(await runCli(args, second.io)).toBe(0);
    expect(second.out.join("")).toContain("updated webhook 1");
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      events: ["push"],
      active: true,
      config: {
        url: "https://fn.example/githubWebhook",
        content_type: "json",
        secret: hookSecret,
        insecure_ssl: "0",
      },
    });
    expect(requests.every((r) => r.auth === "Bearer t0ken")).toBe(true);
  });

  it.each([
    [{ GITHUB_TOKEN: undefined }, "GITHUB_TOKEN is not set"],
    [{ GITHUB_WEBHOOK_SECRET: undefined }, "GITHUB_WEBHOOK_SECRET is not set"],
    [{ GITHUB_TOKEN: "wrong" }, "GitHub answered 401"],
  ])("explains what is wrong (%j)", async (change, message) => {
    const c = capture({ ...env(), ...change });
    const code = await runCli(
      ["github", "register", "--repo", "acme/fraud-detector", "--url", "https://x.example/"],
      c.io,
    );
    expect(code).toBe(1);
    expect(c.err.join("")).toContain(message);
  });
});
