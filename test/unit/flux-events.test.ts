import { describe, expect, it } from "vitest";
import { createFluxEventsHandler } from "../../functions/flux-events/handler.js";
import { fluxMaxBodyBytes } from "../../functions/flux-events/settings.js";
import { TransientError } from "../../shared/errors.js";
import type { IngressRequest } from "../../shared/ingress/http.js";
import { IngressAction } from "../../shared/ledger-actions.js";
import { Topic } from "../../shared/topology.js";
import { ingressTestDeps } from "../support/ingress-deps.js";
import { fluxCommit, fluxEventBody, fluxHeaders, fluxSecret } from "../support/ingress-flux.js";

// ingressTestDeps' clock: the events below are a minute old unless a test says otherwise.
const now = new Date("2024-06-11T10:00:00.000Z");
const minuteAgo = new Date(now.getTime() - 60_000);
const retiredSecret = "retired-flux-hmac-key-retired-flux-hmac-key";

function setup() {
  const deps = ingressTestDeps();
  const handler = createFluxEventsHandler({ ...deps, secrets: [retiredSecret, fluxSecret] });
  return { ...deps, handler };
}

function post(
  body: string,
  secret: string | null = fluxSecret,
  headers: Record<string, string> = {},
): IngressRequest {
  return { method: "POST", headers: { ...fluxHeaders(body, secret), ...headers }, body: Buffer.from(body) };
}

describe("fluxEvents", () => {
  it("turns a fresh ReconciliationSucceeded of a configured object into releases-requested for its commit", async () => {
    const { handler, publisher, ledger } = setup();
    const response = await handler(post(fluxEventBody(minuteAgo)));
    expect(response).toMatchObject({
      statusCode: 202,
      body: { status: "accepted", published: [{ topic: Topic.releasesRequested, commit: fluxCommit }] },
    });
    const [message] = publisher.on(Topic.releasesRequested);
    expect(message).toMatchObject({
      repository: "acme/churn",
      commit: fluxCommit,
      trigger: "flux",
      ref: "main",
      requestedBy: "flux:Kustomization/flux-system/churn-serving",
      flux: {
        kind: "Kustomization",
        namespace: "flux-system",
        name: "churn-serving",
        revision: `main@sha1:${fluxCommit}`,
      },
      causedBy: [{ source: "flux:Kustomization/flux-system/churn-serving", id: `main@sha1:${fluxCommit}` }],
    });
    expect(message?.correlationId).toMatch(/^flux-[0-9a-f]{32}$/);
    // Recorded under the model the repository serves, at the reconciled commit.
    expect(await ledger.read("churn", fluxCommit)).toMatchObject([
      {
        step: "fluxEvents",
        action: Topic.releasesRequested,
        outcome: "accepted",
        correlationId: message?.correlationId,
        details: { fluxObject: "Kustomization/flux-system/churn-serving", reason: "ReconciliationSucceeded" },
      },
    ]);
  });

  it("accepts an event signed with a key being rotated out, and the legacy revision form", async () => {
    const { handler, publisher } = setup();
    const body = fluxEventBody(minuteAgo, (event) => {
      event.metadata = { "kustomize.toolkit.fluxcd.io/revision": `main/${fluxCommit}` };
    });
    expect((await handler(post(body, retiredSecret))).statusCode).toBe(202);
    expect(publisher.on(Topic.releasesRequested)).toMatchObject([{ commit: fluxCommit, ref: "main" }]);
  });

  it("answers the same event sent again as a duplicate and publishes once, even under a new timestamp", async () => {
    const { handler, publisher } = setup();
    expect((await handler(post(fluxEventBody(minuteAgo)))).statusCode).toBe(202);
    expect(await handler(post(fluxEventBody(minuteAgo)))).toMatchObject({
      statusCode: 200,
      body: { status: "duplicate" },
    });
    expect(await handler(post(fluxEventBody(now)))).toMatchObject({
      statusCode: 200,
      body: { status: "duplicate" },
    });
    expect(publisher.on(Topic.releasesRequested)).toHaveLength(1);
  });

  it.each<[string, (event: Record<string, any>) => void, RegExp]>([
    [
      "an object that is not configured",
      (e) => (e.involvedObject.name = "other-app"),
      /Kustomization\/flux-system\/other-app is not a configured Flux object/,
    ],
    [
      "a configured object in another namespace",
      (e) => (e.involvedObject.namespace = "apps"),
      /not a configured/,
    ],
    [
      "a reason other than ReconciliationSucceeded",
      (e) => (e.reason = "Progressing"),
      /reported Progressing/,
    ],
    [
      "a failure",
      (e) => Object.assign(e, { reason: "ReconciliationFailed", severity: "error" }),
      /ReconciliationFailed/,
    ],
  ])("answers %s 200, publishes nothing, and records why", async (_name, change, reason) => {
    const { handler, publisher, ledger } = setup();
    const response = await handler(post(fluxEventBody(minuteAgo, change)));
    expect(response).toMatchObject({
      statusCode: 200,
      body: { status: "ignored", reason: expect.stringMatching(reason) },
    });
    expect(publisher.published).toEqual([]);
    expect(await ledger.read("_unattributed")).toMatchObject([
      {
        step: "fluxEvents",
        action: IngressAction.fluxEventIgnored,
        outcome: "ignored",
        details: { reason: expect.stringMatching(reason) },
      },
    ]);
  });

  it.each<[string, string, RegExp]>([
    [
      "an event 11 minutes old (a replay)",
      fluxEventBody(new Date(now.getTime() - 11 * 60_000)),
      /11 minutes old.*replayed or late/,
    ],
    [
      "an event from the future",
      fluxEventBody(new Date(now.getTime() + 30 * 60_000)),
      /30 minutes in the future/,
    ],
    ["no revision", fluxEventBody(minuteAgo, (e) => (e.metadata = {})), /reported no revision/],
    [
      "an OCI digest",
      fluxEventBody(minuteAgo, (e) => (e.metadata = { revision: `latest@sha256:${"a".repeat(64)}` })),
      /revision "latest@sha256:a+", not a git commit/,
    ],
  ])("refuses %s (422), publishes nothing, and records why", async (_name, body, reason) => {
    const { handler, publisher, ledger } = setup();
    const response = await handler(post(body));
    expect(response).toMatchObject({
      statusCode: 422,
      body: { status: "refused", reason: expect.stringMatching(reason) },
    });
    expect(publisher.published).toEqual([]);
    expect(await ledger.read("_unattributed")).toMatchObject([
      { action: IngressAction.fluxEventRefused, outcome: "refused" },
    ]);
  });

  it.each<[string, IngressRequest, number, RegExp]>([
    ["no signature", post(fluxEventBody(minuteAgo), null), 401, /missing the X-Signature header/],
    [
      "a forged signature",
      post(fluxEventBody(minuteAgo), "not-the-key-not-the-key-not-the-key-0"),
      401,
      /does not match/,
    ],
    [
      "a signed body changed afterwards",
      {
        ...post(fluxEventBody(minuteAgo)),
        body: Buffer.from(fluxEventBody(minuteAgo, (e) => (e.involvedObject.name = "x"))),
      },
      401,
      /does not match/,
    ],
    ["a body that is not JSON", post("{not json"), 400, /not valid JSON/],
    [
      "JSON that is not a Flux event",
      post(JSON.stringify({ reason: 1 })),
      400,
      /not a Flux event: involvedObject/,
    ],
    [
      "text",
      post(fluxEventBody(minuteAgo), fluxSecret, { "content-type": "text/plain" }),
      415,
      /text\/plain/,
    ],
    ["an oversized body", post(" ".repeat(fluxMaxBodyBytes + 1)), 413, /at most 262144/],
    ["a GET", { ...post(fluxEventBody(minuteAgo)), method: "GET" }, 405, /notification-controller posts/],
  ])("refuses %s before acting, recording nothing", async (_name, request, statusCode, reason) => {
    const { handler, publisher, blobs } = setup();
    expect(await handler(request)).toMatchObject({
      statusCode,
      body: { status: "refused", reason: expect.stringMatching(reason) },
    });
    expect(publisher.published).toEqual([]);
    // No ledger record and no claim: a stranger's requests cost the bucket nothing.
    expect(await blobs.list("")).toEqual([]);
  });

  it("answers 503 when Pub/Sub fails and publishes when notification-controller retries", async () => {
    const { handler, publisher } = setup();
    publisher.failWith = new TransientError("pubsub unavailable");
    expect(await handler(post(fluxEventBody(minuteAgo)))).toMatchObject({
      statusCode: 503,
      body: { status: "error" },
    });
    publisher.failWith = undefined;
    expect((await handler(post(fluxEventBody(minuteAgo)))).statusCode).toBe(202);
    expect(publisher.on(Topic.releasesRequested)).toHaveLength(1);
  });
});
