import { createHmac } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { createGithubWebhookHandler } from "../../functions/github-webhook/handler.js";
import { githubMaxPayloadBytes, readGithubWebhookSettings } from "../../functions/github-webhook/settings.js";
import { TransientError } from "../../shared/errors.js";
import { findBranchPush } from "../../shared/ingress/branch-pushes.js";
import type { IngressRequest } from "../../shared/ingress/http.js";
import { verifySignature } from "../../shared/ingress/verify-signature.js";
import { Topic } from "../../shared/topology.js";
import { ingressTestDeps } from "../support/ingress-deps.js";
import { ownFixture, ownJson } from "../support/ingress-fixtures.js";
import { githubHeaders, webhookSecret } from "../support/ingress-github.js";

const headCommit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";

function setup() {
  const deps = ingressTestDeps();
  const handler = createGithubWebhookHandler({ ...deps, secrets: [webhookSecret] });
  return { ...deps, handler };
}

async function delivery(
  body: string | Buffer,
  options: { event?: string; delivery?: string; secret?: string } = {},
): Promise<IngressRequest> {
  return { method: "POST", headers: await githubHeaders(body, options), body: Buffer.from(body) };
}

function withPayload(path: string, change: (payload: Record<string, any>) => void): string {
  const payload = ownJson<Record<string, any>>(path);
  change(payload);
  return JSON.stringify(payload);
}

describe("verifySignature", () => {
  it("accepts GitHub's published test vector", async () => {
    // docs.github.com, "Validating webhook deliveries": the documented secret, payload and signature.
    const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(await sign("It's a Secret to Everybody", "Hello, World!")).toBe(signature);
    expect(
      await verifySignature(["It's a Secret to Everybody"], Buffer.from("Hello, World!"), signature),
    ).toBe(true);
    expect(
      await verifySignature(["It's a secret to everybody"], Buffer.from("Hello, World!"), signature),
    ).toBe(false);
    expect(
      await verifySignature(["It's a Secret to Everybody"], Buffer.from("Hello, World?"), signature),
    ).toBe(false);
  });

  // Regression (issue #14, item 7): the HMAC was computed over the bytes decoded as UTF-8, so a body with an
  // invalid byte (0xFF) verified under the signature of the body with U+FFFD (EF BF BD) in its place.
  it("verifies the raw bytes, not their UTF-8 decoding", () => {
    const secret = "raw-bytes-secret-raw-bytes-secret";
    const signed = Buffer.from('{"zen":"\uFFFD"}', "utf8");
    const forged = Buffer.concat([Buffer.from('{"zen":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect(forged.toString("utf8")).toBe(signed.toString("utf8"));
    const signature = `sha256=${createHmac("sha256", secret).update(signed).digest("hex")}`;
    expect(verifySignature([secret], signed, signature)).toBe(true);
    expect(verifySignature([secret], forged, signature)).toBe(false);
  });

  it.each([
    ["no prefix", "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"],
    ["sha1", "sha1=757107ea0eb2509fc211221cce984b8a37570b6d"],
    ["short", "sha256=757107ea"],
    ["not hex", `sha256=${"z".repeat(64)}`],
  ])("refuses a signature that is not sha256=<64 hex> (%s)", (_case, signature) => {
    expect(verifySignature(["It's a Secret to Everybody"], Buffer.from("Hello, World!"), signature)).toBe(
      false,
    );
  });

  it("accepts a signature under any of the rotated secrets, and none under another", async () => {
    const body = Buffer.from('{"zen":"rotate"}');
    const secrets = ["old-secret", "new-secret"];
    expect(await verifySignature(secrets, body, await sign("old-secret", body.toString()))).toBe(true);
    expect(await verifySignature(secrets, body, await sign("new-secret", body.toString()))).toBe(true);
    expect(await verifySignature(secrets, body, await sign("other-secret", body.toString()))).toBe(false);
    expect(await verifySignature(secrets, Buffer.alloc(0), "sha256=00")).toBe(false);
  });

  it("reads the secrets from GITHUB_WEBHOOK_SECRET, one per line, and names the variable when it is missing", () => {
    const a = "a".repeat(32);
    const b = "b,b".repeat(11);
    expect(readGithubWebhookSettings({ GITHUB_WEBHOOK_SECRET: ` ${a} \n\n${b}\n` }).secrets).toEqual([a, b]);
    expect(() => readGithubWebhookSettings({})).toThrow(/GITHUB_WEBHOOK_SECRET is not set/);
    expect(() => readGithubWebhookSettings({ GITHUB_WEBHOOK_SECRET: " \n " })).toThrow(
      /GITHUB_WEBHOOK_SECRET is not set/,
    );
  });

  // Regression (issue #14, item 8): any length was accepted, and a comma split one secret into two weaker ones.
  it.each([
    ["a short secret", "s3cret", /GITHUB_WEBHOOK_SECRET: the secret is 6 characters; it must be at least 32/],
    [
      "a short second line",
      `${"a".repeat(40)}\nold`,
      /GITHUB_WEBHOOK_SECRET: the secret on line 2 is 3 characters; it must be at least 32/,
    ],
    ["the comma-separated form of two short secrets", `${"a".repeat(20)},${"b".repeat(20)}`, null],
  ])("refuses %s at start, naming the variable but never the value", (_case, value, message) => {
    if (message === null) {
      // A comma is part of the one secret: nothing is split into two weaker ones.
      expect(readGithubWebhookSettings({ GITHUB_WEBHOOK_SECRET: value }).secrets).toEqual([value]);
      return;
    }
    const read = () => readGithubWebhookSettings({ GITHUB_WEBHOOK_SECRET: value });
    expect(read).toThrow(message);
    expect(read).not.toThrow(value.split("\n").at(-1) as string);
  });
});

describe("githubWebhook routing", () => {
  it("answers a ping with 200 and records it", async () => {
    const { handler, ledger } = setup();
    const request = await delivery(ownFixture("github/ping.json"), { event: "ping" });
    const response = await handler(request);
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({ status: "ok", reason: "pong: hook 480012345 reaches modelgate" });
    const [entry] = await ledger.read("_unattributed");
    expect(entry).toMatchObject({ step: "githubWebhook", action: "webhook-ping", outcome: "accepted" });
  });

  it("requests the releases file applied, without a model, for a push to main that changes it", async () => {
    const { handler, publisher, ledger } = setup();
    const body = withPayload("github/push-main.json", (p) => {
      p.commits = [{ ...p.commits[0], added: [], removed: [], modified: ["modelgate.releases.yaml"] }];
    });
    const response = await handler(await delivery(body, { delivery: "d-releases-1" }));
    expect(response.statusCode).toBe(202);
    const [request] = publisher.on(Topic.releasesRequested);
    expect(request).toMatchObject({
      correlationId: "d-releases-1",
      repository: "acme/fraud-detector",
      commit: headCommit,
      trigger: "github-push",
      ref: "refs/heads/main",
    });
    expect(request).not.toHaveProperty("model");
    const records = await ledger.read("_unattributed", headCommit);
    expect(records.map((r) => [r.action, r.outcome])).toEqual([[Topic.releasesRequested, "accepted"]]);
  });

  it("requests training once for a push to main that touches the model's paths", async () => {
    const { handler, publisher, ledger } = setup();
    const request = await delivery(ownFixture("github/push-main.json"), { delivery: "d-push-1" });
    const response = await handler(request);
    expect(response.statusCode).toBe(202);
    expect(response.body).toEqual({
      status: "accepted",
      published: [
        { topic: Topic.trainingRequested, model: "fraud-detector", commit: headCommit, messageId: "m-1" },
      ],
    });
    expect(publisher.on(Topic.trainingRequested)).toEqual([
      {
        schemaVersion: 1,
        correlationId: "d-push-1",
        model: "fraud-detector",
        commit: headCommit,
        repository: "acme/fraud-detector",
        causedBy: [{ source: "https://github.com/acme/fraud-detector", id: "d-push-1" }],
        createdAt: "2024-06-11T10:00:00.000Z",
        trigger: "github-push",
        ref: "refs/heads/main",
        requestedBy: "ada",
      },
    ]);
    const entries = await ledger.read("fraud-detector", headCommit);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      step: "githubWebhook",
      action: Topic.trainingRequested,
      outcome: "accepted",
      correlationId: "d-push-1",
      identity: "ingress@local-project.iam.gserviceaccount.com",
      details: { event: "push", deliveryId: "d-push-1", sender: "ada", messageId: "m-1" },
    });
  });

  it("ignores a push whose commits touch none of the model's paths, and says why", async () => {
    const { handler, publisher } = setup();
    const body = withPayload("github/push-main.json", (p) => {
      p.commits = p.commits.slice(0, 1);
    });
    const response = await handler(await delivery(body));
    expect(response.statusCode).toBe(200);
    expect(response.body.status).toBe("ignored");
    expect(response.body.reason).toMatch(
      /fraud-detector: no pushed commit touches models\/fraud-detector\/\*\*/,
    );
    expect(publisher.published).toEqual([]);
  });

  it("ignores pushes to other branches and deleted branches", async () => {
    const { handler, publisher } = setup();
    const other = withPayload("github/push-main.json", (p) => {
      p.ref = "refs/heads/feature/x";
    });
    const deleted = withPayload("github/push-main.json", (p) => {
      p.deleted = true;
      p.after = "0".repeat(40);
      p.head_commit = null;
      p.commits = [];
    });
    const first = await handler(await delivery(other));
    expect(first.body).toMatchObject({
      status: "ignored",
      reason: expect.stringMatching(/follows branch main, not feature\/x/),
    });
    const second = await handler(await delivery(deleted));
    expect(second.body).toEqual({ status: "ignored", reason: "branch main was deleted" });
    expect(publisher.published).toEqual([]);
  });

  it("promotes the commit an annotated tag points to, not the tag object", async () => {
    const { handler, publisher } = setup();
    const response = await handler(
      await delivery(ownFixture("github/push-annotated-tag.json"), { delivery: "d-tag" }),
    );
    expect(response.statusCode).toBe(202);
    const [message] = publisher.on(Topic.deploymentRequested);
    expect(message).toMatchObject({
      model: "fraud-detector",
      commit: headCommit,
      reason: "promotion-tag",
      tag: "promote/fraud-detector/2024-06-11",
      requestedBy: "grace",
      correlationId: "d-tag",
    });
    expect(message?.commit).not.toBe("c0ffee0123456789abcdef0123456789abcdef01");
  });

  it("ignores a deleted tag", async () => {
    const { handler, publisher } = setup();
    const body = withPayload("github/push-annotated-tag.json", (p) => {
      p.deleted = true;
      p.created = false;
      p.after = "0".repeat(40);
      p.head_commit = null;
    });
    const response = await handler(await delivery(body));
    expect(response).toMatchObject({
      statusCode: 200,
      body: { status: "ignored", reason: "tag promote/fraud-detector/2024-06-11 was deleted" },
    });
    expect(publisher.published).toEqual([]);
  });

  it("refuses and records a promotion by a sender who is not a promoter; a promoter's goes through", async () => {
    const { handler, publisher, ledger, warnings } = setup();
    const tag = (login: string) =>
      withPayload("github/push-annotated-tag.json", (p) => {
        p.ref = "refs/tags/release/churn-7";
        p.repository.full_name = "acme/churn";
        p.sender.login = login;
      });
    const refused = await handler(await delivery(tag("mallory"), { delivery: "d-mallory" }));
    expect(refused).toMatchObject({
      statusCode: 403,
      body: { status: "refused", reason: "mallory is not a promoter of churn" },
    });
    expect(publisher.published).toEqual([]);
    expect(await ledger.read("churn", headCommit)).toMatchObject([
      {
        action: "promotion-refused",
        outcome: "refused",
        details: { sender: "mallory", deliveryId: "d-mallory" },
      },
    ]);
    expect(warnings().map((l) => l.message)).toContain(
      "refused a promotion: mallory is not a promoter of churn",
    );

    // Logins are case-insensitive on GitHub: "release-bot" is the configured "Release-Bot".
    const accepted = await handler(await delivery(tag("release-bot")));
    expect(accepted.statusCode).toBe(202);
    expect(publisher.on(Topic.deploymentRequested)).toMatchObject([
      { model: "churn", tag: "release/churn-7" },
    ]);
  });

  it("ignores events other than push and ping with a reason", async () => {
    const { handler } = setup();
    const body = JSON.stringify({ action: "published", repository: { full_name: "acme/fraud-detector" } });
    const response = await handler(await delivery(body, { event: "release" }));
    expect(response).toEqual({
      statusCode: 200,
      body: {
        status: "ignored",
        reason: 'event "release" is not handled; modelgate acts on push events (branches and tags)',
      },
    });
  });
});

describe("githubWebhook deduplication and failures", () => {
  it("acknowledges a redelivery of a handled delivery and publishes nothing more", async () => {
    const { handler, publisher, ledger } = setup();
    const request = await delivery(ownFixture("github/push-main.json"), { delivery: "d-redelivered" });
    expect((await handler(request)).statusCode).toBe(202);
    const again = await handler(request);
    expect(again).toEqual({
      statusCode: 200,
      body: { status: "duplicate", reason: "delivery d-redelivered was already handled" },
    });
    expect(publisher.published).toHaveLength(1);
    expect(await ledger.read("fraud-detector")).toHaveLength(1);
  });

  it("answers 409 while another attempt holds the delivery", async () => {
    const { handler, claims, publisher } = setup();
    await claims.claim("githubWebhook", "d-held");
    const response = await handler(
      await delivery(ownFixture("github/push-main.json"), { delivery: "d-held" }),
    );
    expect(response.statusCode).toBe(409);
    expect(response.body.status).toBe("in-progress");
    expect(publisher.published).toEqual([]);
  });

  it("answers 503 on a transient publish failure and succeeds when GitHub redelivers", async () => {
    const { handler, publisher } = setup();
    const request = await delivery(ownFixture("github/push-main.json"), { delivery: "d-retry" });
    publisher.failWith = new TransientError("Pub/Sub is unavailable");
    const failed = await handler(request);
    expect(failed).toMatchObject({ statusCode: 503, body: { status: "error" } });
    publisher.failWith = undefined;
    const retried = await handler(request);
    expect(retried.statusCode).toBe(202);
    expect(publisher.published).toHaveLength(1);
  });
});

describe("githubWebhook promotion replays", () => {
  const tagPush = (change: (payload: Record<string, any>) => void = () => {}) =>
    withPayload("github/push-annotated-tag.json", change);

  it("refuses the same signed tag push sent again under a new delivery id (GitHub does not sign the id)", async () => {
    const { handler, publisher, ledger } = setup();
    const body = tagPush();
    expect((await handler(await delivery(body, { delivery: "d-tag-first" }))).statusCode).toBe(202);
    const replay = await handler(await delivery(body, { delivery: "d-tag-replay" }));
    expect(replay).toEqual({
      statusCode: 403,
      body: {
        status: "refused",
        reason:
          "tag promote/fraud-detector/2024-06-11 was pushed at 2024-06-11T09:55:00.000Z, not after the push of 2024-06-11T09:55:00.000Z already acted on (delivery d-tag-first): a replayed or out-of-order delivery",
      },
    });
    expect(publisher.on(Topic.deploymentRequested)).toHaveLength(1);
    expect((await ledger.read("fraud-detector", headCommit)).map((e) => e.action)).toEqual([
      Topic.deploymentRequested,
      "promotion-refused",
    ]);
  });

  it("refuses an earlier push of a tag replayed after the tag moved to another commit", async () => {
    const { handler, publisher } = setup();
    const older = tagPush();
    const moved = tagPush((p) => {
      p.head_commit.id = "b".repeat(40);
      p.after = "d".repeat(40);
      p.repository.pushed_at += 60;
    });
    expect((await handler(await delivery(older))).statusCode).toBe(202);
    expect((await handler(await delivery(moved))).statusCode).toBe(202);
    expect((await handler(await delivery(older))).statusCode).toBe(403);
    expect(publisher.on(Topic.deploymentRequested).map((m) => m.commit)).toEqual([
      headCommit,
      "b".repeat(40),
    ]);
  });

  it("still promotes when GitHub redelivers the same delivery after a transient failure", async () => {
    const { handler, publisher } = setup();
    const request = await delivery(tagPush(), { delivery: "d-tag-retry" });
    publisher.failWith = new TransientError("Pub/Sub is unavailable");
    expect((await handler(request)).statusCode).toBe(503);
    publisher.failWith = undefined;
    expect((await handler(request)).statusCode).toBe(202);
    expect(publisher.on(Topic.deploymentRequested)).toHaveLength(1);
  });
});

describe("githubWebhook notes the commits pushed to a model's branch", () => {
  it("for a push that retrains and for one that touches none of the model's paths", async () => {
    const { handler, blobs } = setup();
    await handler(await delivery(ownFixture("github/push-main.json"), { delivery: "d-noted" }));
    const quiet = withPayload("github/push-main.json", (p) => {
      p.after = "e".repeat(40);
      p.head_commit.id = "e".repeat(40);
      p.commits = [{ id: "e".repeat(40), added: [], modified: ["README.md"], removed: [] }];
    });
    expect((await handler(await delivery(quiet))).statusCode).toBe(200);
    expect(await findBranchPush(blobs, "fraud-detector", headCommit)).toMatchObject({
      ref: "refs/heads/main",
      deliveryId: "d-noted",
    });
    expect(await findBranchPush(blobs, "fraud-detector", "e".repeat(40))).not.toBeNull();
    expect(await findBranchPush(blobs, "churn", headCommit)).toBeNull();
  });
});

describe("githubWebhook refuses bad requests", () => {
  const push = ownFixture("github/push-main.json");

  const without = (name: string) => async (): Promise<IngressRequest> => {
    const { [name]: _, ...headers } = (await delivery(push)).headers;
    return { method: "POST", headers, body: push };
  };
  type Case = [name: string, make: () => Promise<IngressRequest>, status: number, reason: RegExp];
  const cases: Case[] = [
    [
      "a GET",
      async () => ({ ...(await delivery(push)), method: "GET", body: Buffer.alloc(0) }),
      405,
      /GET is not allowed/,
    ],
    [
      "a form-encoded body",
      async () => {
        const request = await delivery(push);
        return {
          ...request,
          headers: { ...request.headers, "content-type": "application/x-www-form-urlencoded" },
        };
      },
      415,
      /application\/x-www-form-urlencoded is not application\/json/,
    ],
    ["no content type", without("content-type"), 415, /\(none\) is not application\/json/],
    ["no X-GitHub-Event", without("x-github-event"), 400, /missing the X-GitHub-Event header/],
    ["no X-GitHub-Delivery", without("x-github-delivery"), 400, /missing the X-GitHub-Delivery header/],
    ["no signature", without("x-hub-signature-256"), 401, /missing the X-Hub-Signature-256 header/],
    [
      "a signature under another secret",
      () => delivery(push, { secret: "not-the-secret" }),
      401,
      /does not match/,
    ],
    [
      "a valid signature over a different body",
      async () => ({ ...(await delivery('{"zen":"other"}')), body: push }),
      401,
      /does not match/,
    ],
    [
      "a malformed signature",
      async () => {
        const request = await delivery(push);
        return { ...request, headers: { ...request.headers, "x-hub-signature-256": "sha1=abc" } };
      },
      401,
      /does not match/,
    ],
    ["an empty body", async () => ({ ...(await delivery("{}")), body: Buffer.alloc(0) }), 400, /no body/],
    ["truncated JSON", () => delivery(push.subarray(0, 200)), 400, /not valid JSON/],
    ["a JSON array", () => delivery("[1,2]"), 400, /not a GitHub event object/],
    [
      "a push payload without a ref",
      () => delivery(JSON.stringify({ repository: { full_name: "acme/fraud-detector" } })),
      400,
      /push payload is malformed: ref/,
    ],
    [
      "a repository that is not allowed",
      () =>
        delivery(JSON.stringify({ ...JSON.parse(push.toString()), repository: { full_name: "evil/fork" } })),
      403,
      /repository evil\/fork is not allowed/,
    ],
    [
      "a body over 25 MB",
      async () => ({ ...(await delivery("{}")), body: Buffer.alloc(githubMaxPayloadBytes + 1, 0x20) }),
      413,
      /at most 26214400/,
    ],
  ];

  it.each(cases)("refuses %s", async (_name, make, status, reason) => {
    const { handler, publisher, warnings, blobs } = setup();
    const response = await handler(await make());
    expect(response.statusCode).toBe(status);
    expect(response.body.status).toBe("refused");
    expect(response.body.reason).toMatch(reason);
    expect(publisher.published).toEqual([]);
    // A refusal is a warning with the reason; no secret or signature ever reaches the log.
    const [warning] = warnings();
    expect(warning).toMatchObject({ severity: "WARNING", statusCode: status, reason: response.body.reason });
    const logged = JSON.stringify(warnings());
    expect(logged).not.toContain(webhookSecret);
    expect(logged).not.toContain("sha256=");
    // Nothing is claimed or recorded for a refused request.
    expect([...blobs.objects.keys()]).toEqual([]);
    if (status === 405) expect(response.headers).toEqual({ Allow: "POST" });
  });

  it("accepts the GitHub headers in any letter case", async () => {
    const { handler } = setup();
    const request = await delivery(push);
    const shouted = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toUpperCase(), v]));
    const response = await handler({
      ...request,
      headers: { ...shouted, "Content-Type": "Application/JSON; charset=utf-8" },
    });
    expect(response.statusCode).toBe(202);
  });

  it("accepts a body of exactly 25 MB", async () => {
    const { handler } = setup();
    const ping = JSON.stringify({ zen: "", hook_id: 1 });
    // Pad the JSON with whitespace to GitHub's limit: still a valid payload.
    const body = Buffer.alloc(githubMaxPayloadBytes, 0x20);
    body.write(ping);
    const response = await handler(await delivery(body, { event: "ping" }));
    expect(response.statusCode).toBe(200);
  });
});
