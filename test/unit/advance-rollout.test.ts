import { describe, expect, it } from "vitest";
import { createAdvanceRolloutHandler } from "../../functions/advance-rollout/handler.js";
import type { DeploymentReady } from "../../shared/contracts.js";
import { Topic } from "../../shared/topology.js";
import { ingressTestDeps } from "../support/ingress-deps.js";

const ready: DeploymentReady = {
  schemaVersion: 1,
  correlationId: "promote-1",
  model: "fraud-detector",
  commit: "1".repeat(40),
  repository: "acme/fraud-detector",
  causedBy: [{ source: "pubsub:verification-completed", id: "m-1" }],
  createdAt: "2026-03-01T12:00:00.000Z",
  endpoint: "projects/local-project/locations/us-central1/endpoints/fraud-detector",
  modelResource: "projects/local-project/locations/us-central1/models/fraud-detector",
  versionId: "2",
  deployedModelId: "1234567890",
  canaryPercent: 50,
  previousTrafficSplit: { "9876543210": 100 },
  rolloutStep: 1,
};

const post = (body: string, contentType = "application/json") => ({
  method: "POST",
  headers: { "content-type": contentType },
  body: Buffer.from(body),
});

describe("advanceRollout", () => {
  it("publishes the baked step's deployment-ready once, however often the queue delivers it", async () => {
    const deps = ingressTestDeps();
    const handle = createAdvanceRolloutHandler(deps);
    const first = await handle(post(JSON.stringify(ready)));
    const again = await handle(post(JSON.stringify(ready)));
    expect(first.statusCode).toBe(200);
    expect(again).toMatchObject({ statusCode: 200, body: { status: "duplicate" } });
    expect(deps.publisher.on(Topic.deploymentReady)).toEqual([ready]);
    const ledger = await deps.ledger.read("fraud-detector", ready.commit);
    expect(ledger.map((e) => e.action)).toContain("rollout-step-published");
  });

  it.each([
    ["a body that is not JSON", post("{"), 400, /not JSON/],
    [
      "a body that breaks the contract",
      post(JSON.stringify({ ...ready, canaryPercent: 0 })),
      400,
      /canaryPercent/,
    ],
    [
      "a body that is not JSON by its type",
      post(JSON.stringify(ready), "text/plain"),
      415,
      /application\/json/,
    ],
    ["a GET", { ...post(""), method: "GET" }, 405, /POST/],
  ])("refuses %s, saying why", async (_case, request, statusCode, reason) => {
    const deps = ingressTestDeps();
    const answer = await createAdvanceRolloutHandler(deps)(request);
    expect(answer.statusCode).toBe(statusCode);
    expect(answer.body.reason).toMatch(reason);
    expect(deps.publisher.on(Topic.deploymentReady)).toEqual([]);
  });
});
