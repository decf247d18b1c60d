import { describe, expect, it } from "vitest";
import { createGithubWebhookHandler } from "../../functions/github-webhook/handler.js";
import { createTektonEventsHandler } from "../../functions/tekton-events/handler.js";
import { ingressTestDeps } from "../support/ingress-deps.js";
import { ownFixture, ownJson } from "../support/ingress-fixtures.js";
import { githubHeaders, webhookSecret } from "../support/ingress-github.js";
import { binaryTektonEvent, sinkToken } from "../support/ingress-tekton.js";

// Regression (issue #14, item 9): X-GitHub-Delivery and X-GitHub-Event (up to ~16 KB each) went into the log
// context before they were validated, on every refusal, and `traceparent` attached any caller's lines to any trace.
// Header values are logged only once validated, and a trace only once the request is authenticated.

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
const traceField = "logging.googleapis.com/trace";
const huge = "x".repeat(16 * 1024);

function github() {
  const deps = ingressTestDeps();
  return { ...deps, handler: createGithubWebhookHandler({ ...deps, secrets: [webhookSecret] }) };
}

describe("githubWebhook logs only validated headers, and a trace only when authenticated", () => {
  it.each([
    ["a 16 KB X-GitHub-Delivery", { "x-github-delivery": huge }, 400],
    ["a 16 KB X-GitHub-Event", { "x-github-event": huge }, 400],
    ["an X-GitHub-Event that is not an event name", { "x-github-event": "push\nforged line" }, 400],
    ["a wrong signature", { "x-hub-signature-256": `sha256=${"0".repeat(64)}` }, 401],
    ["no signature", { "x-hub-signature-256": "" }, 401],
  ])(
    "%s: refused, with neither the value nor the caller's trace in the log",
    async (_case, change, status) => {
      const { handler, logLines, publisher } = github();
      const body = ownFixture("github/push-main.json");
      const headers = { ...(await githubHeaders(body)), traceparent, ...change };
      const response = await handler({ method: "POST", headers, body: Buffer.from(body) });
      expect(response.statusCode).toBe(status);
      expect(publisher.published).toEqual([]);
      expect(logLines.length).toBeGreaterThan(0);
      const logged = JSON.stringify(logLines);
      expect(logged).not.toContain("x".repeat(200));
      expect(logged).not.toContain("forged line");
      expect(logLines.every((line) => line[traceField] === undefined)).toBe(true);
    },
  );

  it("an authenticated delivery's lines carry its trace and delivery id", async () => {
    const { handler, logLines } = github();
    const body = ownFixture("github/push-main.json");
    const headers = { ...(await githubHeaders(body, { delivery: "d-traced" })), traceparent };
    const response = await handler({ method: "POST", headers, body: Buffer.from(body) });
    expect(response.statusCode).toBe(202);
    expect(logLines.some((line) => line.message?.toString().startsWith("published"))).toBe(true);
    for (const line of logLines) {
      expect(line).toMatchObject({
        deliveryId: "d-traced",
        [traceField]: `projects/local-project/traces/${traceId}`,
      });
    }
  });
});

describe("tektonEvents attaches a trace only once the token is checked", () => {
  const sendWithTrace = async (options: Parameters<typeof binaryTektonEvent>[1]) => {
    const deps = ingressTestDeps();
    const handler = createTektonEventsHandler({ ...deps, tokens: [sinkToken] });
    const event = binaryTektonEvent(ownJson("tekton/pipelinerun-successful.json"), options);
    const response = await handler({
      method: "POST",
      headers: { ...event.headers, traceparent },
      body: Buffer.from(event.body),
    });
    return { deps, response };
  };

  it("a wrong token is refused without the caller's trace", async () => {
    const { deps, response } = await sendWithTrace({ token: "t".repeat(40) });
    expect(response.statusCode).toBe(401);
    expect(deps.logLines.length).toBeGreaterThan(0);
    expect(deps.logLines.every((line) => line[traceField] === undefined)).toBe(true);
  });

  it("a valid token's lines carry the trace", async () => {
    const { deps, response } = await sendWithTrace({ type: "dev.tekton.event.pipelinerun.started.v1" });
    expect(response.statusCode).toBe(200);
    expect(deps.logLines.length).toBeGreaterThan(0);
    expect(
      deps.logLines.every((line) => line[traceField] === `projects/local-project/traces/${traceId}`),
    ).toBe(true);
  });
});

// Found by the property test: a repeated X-Hub-Signature-256 whose first copy was valid published. A credential
// presented twice is refused, whichever copy would verify.
describe("a credential header presented more than once", () => {
  it("githubWebhook refuses a repeated X-Hub-Signature-256 even when one copy is valid", async () => {
    const { handler, publisher } = github();
    const body = ownFixture("github/push-main.json");
    const headers = await githubHeaders(body);
    const valid = headers["x-hub-signature-256"] ?? "";
    const response = await handler({
      method: "POST",
      headers: { ...headers, "x-hub-signature-256": [valid, `sha256=${"0".repeat(64)}`] },
      body: Buffer.from(body),
    });
    expect(response.statusCode).toBe(401);
    expect(response.body.reason).toBe("the X-Hub-Signature-256 header is repeated; send it once");
    expect(publisher.published).toEqual([]);
  });

  it("tektonEvents refuses a repeated X-Modelgate-Token even when one copy is valid", async () => {
    const deps = ingressTestDeps();
    const handler = createTektonEventsHandler({ ...deps, tokens: [sinkToken] });
    const event = binaryTektonEvent(ownJson("tekton/pipelinerun-successful.json"));
    const response = await handler({
      method: "POST",
      headers: { ...event.headers, "x-modelgate-token": [sinkToken, sinkToken] },
      body: Buffer.from(event.body),
    });
    expect(response.statusCode).toBe(401);
    expect(deps.publisher.published).toEqual([]);
  });
});
