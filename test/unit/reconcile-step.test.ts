import { describe, expect, it } from "vitest";
import { reconcileEndpointsStep } from "../../functions/reconcile-endpoints/step.js";
import type { ReconcileRequested } from "../../shared/contracts.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { Topic } from "../../shared/topology.js";
import { FakeVertex } from "../support/fake-vertex.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { pushEnvelope } from "../support/push-envelope.js";

// What Cloud Scheduler sends: the same bytes every run, no correlation id.
const scheduled: ReconcileRequested = {
  schemaVersion: 1,
  trigger: "schedule",
  requestedBy: "cloud-scheduler",
};

describe("reconcileEndpoints as a Pub/Sub step", () => {
  it("runs each scheduled message once by its message id, though every run sends the same bytes", async () => {
    const runtime = memoryRuntime();
    const vertex = new FakeVertex();
    const handler = pubsubFunction(
      reconcileEndpointsStep(() => ({ registry: vertex, endpoints: vertex })),
      () => runtime,
    );
    // Each run lists the applied releases once.
    let runs = 0;
    const list = runtime.blobs.list.bind(runtime.blobs);
    runtime.blobs.list = async (prefix) => {
      if (prefix === "releases/") runs += 1;
      return list(prefix);
    };
    await handler(pushEnvelope(Topic.reconcileRequested, scheduled, { messageId: "run-a" }));
    await handler(
      pushEnvelope(Topic.reconcileRequested, scheduled, { messageId: "run-a", deliveryAttempt: 2 }),
    );
    expect(runs).toBe(1);
    await handler(pushEnvelope(Topic.reconcileRequested, scheduled, { messageId: "run-b" }));
    expect(runs).toBe(2);
    // A caller's correlation id names the run instead: a new message of the same request is the same run.
    const manual = { ...scheduled, trigger: "manual" as const, correlationId: "reconcile-1" };
    await handler(pushEnvelope(Topic.reconcileRequested, manual, { messageId: "run-c" }));
    await handler(pushEnvelope(Topic.reconcileRequested, manual, { messageId: "run-d" }));
    expect(runs).toBe(3);
  });
});
