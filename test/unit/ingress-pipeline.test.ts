import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { TransientError } from "../../shared/errors.js";
import { type Authenticate, hmacSha256, unauthenticated } from "../../shared/ingress/authenticate.js";
import { ignore, refuse } from "../../shared/ingress/early-answer.js";
import { requireMediaType } from "../../shared/ingress/guards.js";
import { type IngressRequest, IngressStatus, respond } from "../../shared/ingress/http.js";
import { createIngressHandler, type IngressDefinition } from "../../shared/ingress/pipeline.js";
import { Outcome } from "../../shared/ledger.js";
import type { LedgerAction } from "../../shared/ledger-actions.js";
import { issuesToText } from "../../shared/zod-issues.js";
import { ingressTestDeps } from "../support/ingress-deps.js";

// A receiver as small as a new ingress is meant to be: Flux's notification-controller signs the raw body with
// HMAC-SHA256 in `X-Signature: sha256=<hex>`; the definition supplies only its guard, authentication, schema and
// routing, and the pipeline does the rest.
const secret = "flux-receiver-test-secret-0123456789abcdef";
const FluxEvent = z.looseObject({
  involvedObject: z.looseObject({ kind: z.string(), name: z.string() }),
  reason: z.string(),
  metadata: z.looseObject({ revision: z.string() }).optional(),
});
type FluxEvent = z.infer<typeof FluxEvent> & { id: string };

function fluxReceiver(options: { act?: () => Promise<void>; authenticate?: Authenticate } = {}) {
  const deps = ingressTestDeps();
  const acted: string[] = [];
  const definition: IngressDefinition<FluxEvent> = {
    step: "fluxReceiver",
    what: "a Flux event",
    methodHint: "Flux posts its events",
    guard: (request) =>
      requireMediaType(request, ["application/json"], (type) => `content type ${type} is not JSON`),
    authenticate: options.authenticate ?? hmacSha256("X-Signature", [secret]),
    parse: (request, log) => {
      const parsed = FluxEvent.safeParse(JSON.parse(request.body.toString("utf8")));
      if (!parsed.success) throw refuse(400, `not a Flux event: ${issuesToText(parsed.error)}`);
      if (parsed.data.reason === "Progressing")
        throw ignore("still progressing", "ignored a progressing event");
      const id = `${parsed.data.involvedObject.name}@${parsed.data.metadata?.revision ?? "none"}`;
      log.add({ fluxEvent: id });
      return { ...parsed.data, id };
    },
    origin: (event) => ({
      key: event.id,
      correlationId: event.id,
      cause: { source: "flux", id: event.id },
      details: { kind: event.involvedObject.kind },
    }),
    act: async (event, context) => {
      await options.act?.();
      acted.push(event.id);
      context.logger.info(`acted on ${event.id}`);
      await context.record({
        // A real receiver names its actions in shared/ledger-actions.ts (IngressAction); this stand-in casts its one.
        action: "flux-seen" as LedgerAction,
        outcome: Outcome.accepted,
        details: { reason: event.reason },
      });
      return respond(202, IngressStatus.accepted);
    },
    answers: (event) => ({
      duplicate: { reason: `${event.id} was already handled`, log: "duplicate" },
      inProgress: { reason: `${event.id} is in progress`, log: "in progress" },
      failed: { reason: "send it again", log: "failed" },
    }),
  };
  return { ...deps, acted, handler: createIngressHandler(deps, definition) };
}

const event = { involvedObject: { kind: "Kustomization", name: "apps" }, reason: "ReconciliationSucceeded" };

function post(body: unknown, headers: Record<string, string> = {}): IngressRequest {
  const bytes = Buffer.from(JSON.stringify(body));
  const signature = `sha256=${createHmac("sha256", secret).update(bytes).digest("hex")}`;
  return {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature": signature, ...headers },
    body: bytes,
  };
}

describe("the ingress pipeline", () => {
  it("acts once on a signed event, records it with the event's origin, and answers a repeat as a duplicate", async () => {
    const { handler, acted, ledger } = fluxReceiver();
    expect(await handler(post(event))).toEqual({ statusCode: 202, body: { status: "accepted" } });
    expect(await handler(post(event))).toEqual({
      statusCode: 200,
      body: { status: "duplicate", reason: "apps@none was already handled" },
    });
    expect(acted).toEqual(["apps@none"]);
    expect(await ledger.read("_unattributed")).toMatchObject([
      {
        step: "fluxReceiver",
        action: "flux-seen",
        correlationId: "apps@none",
        causedBy: [{ source: "flux", id: "apps@none" }],
        details: { kind: "Kustomization", reason: "ReconciliationSucceeded" },
      },
    ]);
  });

  it.each<[string, IngressRequest, number, RegExp]>([
    ["a GET", { ...post(event), method: "GET" }, 405, /method GET is not allowed; Flux posts its events/],
    ["no signature", post(event, { "x-signature": "" }), 401, /missing the X-Signature header/],
    ["a wrong signature", post(event, { "x-signature": `sha256=${"0".repeat(64)}` }), 401, /does not match/],
    ["a body that is not a Flux event", post({ reason: 1 }), 400, /not a Flux event/],
    // The guard runs before authentication: an unsigned body of the wrong type is told its type is wrong.
    ["text, unsigned", post(event, { "content-type": "text/plain", "x-signature": "" }), 415, /text\/plain/],
  ])("refuses %s", async (_name, request, statusCode, reason) => {
    const { handler, acted, warnings } = fluxReceiver();
    const response = await handler(request);
    expect(response).toMatchObject({
      statusCode,
      body: { status: "refused", reason: expect.stringMatching(reason) },
    });
    if (statusCode === 405) expect(response.headers).toEqual({ Allow: "POST" });
    expect(acted).toEqual([]);
    expect(warnings()).toHaveLength(1);
  });

  it("acts on an unsigned request when the definition authenticates no one", async () => {
    const { handler, acted } = fluxReceiver({ authenticate: unauthenticated });
    expect((await handler(post(event, { "x-signature": "" }))).statusCode).toBe(202);
    expect(acted).toEqual(["apps@none"]);
  });

  it("answers an ignored event 200 without acting or recording", async () => {
    const { handler, acted, ledger } = fluxReceiver();
    const response = await handler(post({ ...event, reason: "Progressing" }));
    expect(response).toEqual({ statusCode: 200, body: { status: "ignored", reason: "still progressing" } });
    expect(acted).toEqual([]);
    expect(await ledger.read("_unattributed")).toEqual([]);
  });

  it("answers 409 while another attempt holds the key", async () => {
    const { handler, claims, acted } = fluxReceiver();
    await claims.claim("fluxReceiver", "apps@none");
    expect(await handler(post(event))).toEqual({
      statusCode: 409,
      body: { status: "in-progress", reason: "apps@none is in progress" },
    });
    expect(acted).toEqual([]);
  });

  it("answers 503 on a transient failure and acts when the event is sent again", async () => {
    let failures = 1;
    const { handler, acted } = fluxReceiver({
      act: async () => {
        if (failures-- > 0) throw new TransientError("the publisher is unavailable");
      },
    });
    expect(await handler(post(event))).toEqual({
      statusCode: 503,
      body: { status: "error", reason: "send it again" },
    });
    expect((await handler(post(event))).statusCode).toBe(202);
    expect(acted).toEqual(["apps@none"]);
  });

  it("adds validated fields and the trace to the log only after authentication", async () => {
    const { handler, logLines } = fluxReceiver();
    await handler(
      post(event, {
        "x-signature": "",
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      }),
    );
    await handler(post(event, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }));
    const [refused, accepted] = logLines;
    expect(refused).not.toHaveProperty(["logging.googleapis.com/trace"]);
    expect(accepted).toMatchObject({
      fluxEvent: "apps@none",
      "logging.googleapis.com/trace": "projects/local-project/traces/0af7651916cd43dd8448eb211c80319c",
    });
  });
});
