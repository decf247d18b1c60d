import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { githubMaxPayloadBytes } from "../../functions/github-webhook/settings.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { ownFixture, ownJson } from "../support/ingress-fixtures.js";
import { githubHeaders, webhookSecret } from "../support/ingress-github.js";
import { send } from "../support/ingress-http.js";
import { serveForFile } from "../support/ingress-served.js";

const headCommit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";
// The secret being rotated out, listed on its own line before the new one.
const previousSecret = "previous-secret-previous-secret-previous";
const file = serveForFile(FunctionName.githubWebhook, {
  topics: [Topic.trainingRequested, Topic.deploymentRequested],
  env: { GITHUB_WEBHOOK_SECRET: `${previousSecret}\n${webhookSecret}` },
});

/** The annotated-tag fixture as GitHub would send it now: `repository.pushed_at` is the push's own time. */
function freshTagPush(tag?: string): string {
  const payload = ownJson<Record<string, any>>("github/push-annotated-tag.json");
  payload.repository.pushed_at = Math.floor(Date.now() / 1000);
  if (tag !== undefined) payload.ref = `refs/tags/${tag}`;
  return JSON.stringify(payload);
}

async function deliver(body: string | Buffer, options: Parameters<typeof githubHeaders>[1] = {}) {
  return send(file.fn.url, { headers: await githubHeaders(body, options), body });
}

describe("githubWebhook served by the Functions Framework", () => {
  it("publishes training-requested through Pub/Sub and records the delivery in the bucket's ledger", async () => {
    const response = await deliver(ownFixture("github/push-main.json"), { delivery: "int-push-1" });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      status: "accepted",
      published: [{ topic: Topic.trainingRequested, model: "fraud-detector", commit: headCommit }],
    });
    const [message] = await file.stack.pull(Topic.trainingRequested, 1);
    expect(message).toMatchObject({
      model: "fraud-detector",
      commit: headCommit,
      repository: "acme/fraud-detector",
      trigger: "github-push",
      correlationId: "int-push-1",
      causedBy: [{ source: "https://github.com/acme/fraud-detector", id: "int-push-1" }],
    });
    expect(await file.stack.ledger.read("fraud-detector", headCommit)).toMatchObject([
      {
        step: "githubWebhook",
        action: Topic.trainingRequested,
        outcome: "accepted",
        identity: "ingress@local-project.iam.gserviceaccount.com",
        details: { deliveryId: "int-push-1", sender: "ada" },
      },
    ]);
  });

  it("acknowledges a redelivery with 200 and publishes nothing", async () => {
    const body = ownFixture("github/push-main.json");
    const headers = await githubHeaders(body, { delivery: "int-push-2" });
    expect((await send(file.fn.url, { headers, body })).status).toBe(202);
    await file.stack.pull(Topic.trainingRequested, 1);
    const again = await send(file.fn.url, { headers, body });
    expect(again).toMatchObject({ status: 200, body: { status: "duplicate" } });
    expect(await file.stack.drain(Topic.trainingRequested)).toEqual([]);
  });

  it("promotes the commit an annotated tag points to, signed with the previous secret during rotation", async () => {
    const response = await deliver(freshTagPush(), { secret: previousSecret });
    expect(response.status).toBe(202);
    const [message] = await file.stack.pull(Topic.deploymentRequested, 1);
    expect(message).toMatchObject({
      commit: headCommit,
      reason: "promotion-tag",
      tag: "promote/fraud-detector/2024-06-11",
    });
  });

  it("refuses the same signed tag push sent again under a new delivery id, and deploys nothing", async () => {
    const body = freshTagPush("promote/fraud-detector/replayed");
    expect((await deliver(body, { delivery: "int-tag-original" })).status).toBe(202);
    await file.stack.pull(Topic.deploymentRequested, 1);
    const replay = await deliver(body, { delivery: "int-tag-replay" });
    expect(replay).toMatchObject({
      status: 403,
      body: { status: "refused", reason: expect.stringMatching(/replayed or out-of-order/) },
    });
    expect(await file.stack.drain(Topic.deploymentRequested)).toEqual([]);
  });

  it("answers a ping with 200", async () => {
    const response = await deliver(ownFixture("github/ping.json"), { event: "ping" });
    expect(response).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("accepts the headers in any letter case", async () => {
    const body = ownFixture("github/push-main.json");
    const headers = await githubHeaders(body);
    const { "content-type": _, ...rest } = headers;
    const shouted = Object.fromEntries(
      Object.entries(rest).map(([name, value]) => [name.toUpperCase(), value]),
    );
    const response = await send(file.fn.url, {
      headers: { ...shouted, "Content-Type": "Application/JSON; charset=utf-8" },
      body,
    });
    expect(response.status).toBe(202);
    await file.stack.pull(Topic.trainingRequested, 1);
  });
});

describe("githubWebhook refuses bad requests over HTTP", () => {
  const push = ownFixture("github/push-main.json");
  const signedOver = async (
    body: string | Buffer,
    headerChanges: Record<string, string | undefined> = {},
  ) => {
    const headers: Record<string, string | undefined> = { ...(await githubHeaders(body)), ...headerChanges };
    return Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
  };
  type Case = [
    name: string,
    make: () => Promise<{ method?: string; headers: Record<string, string>; body?: string | Buffer }>,
    status: number,
  ];
  const cases: Case[] = [
    ["GET", async () => ({ method: "GET", headers: {} }), 405],
    [
      "a form-encoded body",
      async () => ({
        headers: await signedOver("payload=%7B%7D", { "content-type": "application/x-www-form-urlencoded" }),
        body: "payload=%7B%7D",
      }),
      415,
    ],
    [
      "a text body",
      async () => ({ headers: await signedOver("hello", { "content-type": "text/plain" }), body: "hello" }),
      415,
    ],
    [
      "no X-GitHub-Event",
      async () => ({ headers: await signedOver(push, { "x-github-event": undefined }), body: push }),
      400,
    ],
    [
      "no X-GitHub-Delivery",
      async () => ({ headers: await signedOver(push, { "x-github-delivery": undefined }), body: push }),
      400,
    ],
    [
      "no signature",
      async () => ({ headers: await signedOver(push, { "x-hub-signature-256": undefined }), body: push }),
      401,
    ],
    [
      "a wrong signature",
      async () => ({
        headers: await signedOver(push, { "x-hub-signature-256": await sign("wrong", push.toString()) }),
        body: push,
      }),
      401,
    ],
    [
      "a valid signature over a different body",
      async () => ({ headers: await signedOver("{}"), body: push }),
      401,
    ],
    ["an empty body", async () => ({ headers: await signedOver("{}"), body: "" }), 400],
    [
      "truncated JSON",
      async () => ({ headers: await signedOver(push.subarray(0, 300)), body: push.subarray(0, 300) }),
      400,
    ],
    [
      "a repository that is not allowed",
      async () => {
        const body = JSON.stringify({
          ...JSON.parse(push.toString()),
          repository: { full_name: "evil/fork" },
        });
        return { headers: await signedOver(body), body };
      },
      403,
    ],
  ];

  it.each(cases)("refuses %s", async (_name, make, status) => {
    const request = await make();
    const response = await send(file.fn.url, request);
    expect(response.status).toBe(status);
    if (status === 405) expect(response.headers.get("allow")).toBe("POST");
    // Malformed JSON is refused by the framework's body parser before the function runs; all else by the function.
    if (_name !== "truncated JSON") expect(response.body).toMatchObject({ status: "refused" });
    expect(await file.stack.drain(Topic.trainingRequested)).toEqual([]);
  });

  it("accepts a 25 MB body and refuses one byte more with 413", async () => {
    const padded = (size: number) => {
      const body = Buffer.alloc(size, 0x20);
      body.write(
        JSON.stringify({ zen: "padded", hook_id: 7, repository: { full_name: "acme/fraud-detector" } }),
      );
      return body;
    };
    const atLimit = padded(githubMaxPayloadBytes);
    expect((await deliver(atLimit, { event: "ping" })).status).toBe(200);
    const over = padded(githubMaxPayloadBytes + 1);
    const refused = await deliver(over, { event: "ping" });
    expect(refused).toMatchObject({ status: 413, body: { status: "refused" } });
  });
});
