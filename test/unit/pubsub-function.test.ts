import { describe, expect, it, vi } from "vitest";
import { BucketClaimStore } from "../../shared/claim-store.js";
import { encodeMessage } from "../../shared/contracts.js";
import { ClaimHeldError, TransientError, UpstreamError } from "../../shared/errors.js";
import { pubsubFunction, type StepDefinition } from "../../shared/pubsub-function.js";
import { deliveryPolicy, FunctionName, Topic } from "../../shared/topology.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { rawPushEnvelope } from "../support/push-envelope.js";
import { trainingRequest } from "../support/step-messages.js";

const message = trainingRequest();

/** A Pub/Sub push envelope, as the trigger subscription POSTs it. */
function eventFor(data: Buffer, deliveryAttempt = 1, messageId = "m-1") {
  return rawPushEnvelope(Topic.trainingRequested, data, { messageId, deliveryAttempt });
}

const traced = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

function step(
  run: StepDefinition<typeof Topic.trainingRequested>["run"],
): StepDefinition<typeof Topic.trainingRequested> {
  return {
    name: FunctionName.launchTraining,
    topic: Topic.trainingRequested,
    idempotencyKey: (m) => `${m.model}@${m.commit}`,
    run,
  };
}

/** A handler over a step that counts its runs (`run` gets the count so far) on a fresh in-memory runtime. */
function countingHandler(run: (runs: number) => Promise<unknown> = async () => undefined) {
  const runtime = memoryRuntime();
  let runs = 0;
  const handler = pubsubFunction(
    step(async () => run(++runs)),
    () => runtime,
  );
  return { runtime, handler, runs: () => runs };
}

describe("pubsubFunction", () => {
  it("keeps its claim while a step runs longer than the claim's lifetime: a duplicate waits, the step runs once", async () => {
    vi.useFakeTimers();
    try {
      const runtime = memoryRuntime();
      let now = 1_000;
      runtime.claims = new BucketClaimStore(runtime.blobs, () => now, 900);
      let runs = 0;
      let finish = () => {};
      const handler = pubsubFunction(
        step(async () => {
          runs += 1;
          await new Promise<void>((resolve) => {
            finish = resolve;
          });
        }),
        () => runtime,
      );
      const { data } = encodeMessage(Topic.trainingRequested, message);
      const first = handler(eventFor(data, 1, "m-1"));
      for (let i = 0; i < 30; i++) {
        now += 100;
        await vi.advanceTimersByTimeAsync(100);
      }
      // Three lifetimes later the first attempt is still running: the duplicate must not take over.
      await expect(handler(eventFor(data, 1, "m-2"))).rejects.toBeInstanceOf(ClaimHeldError);
      finish();
      await first;
      await handler(eventFor(data, 2, "m-2"));
      expect(runs).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("runs the step once per idempotency key however often the message arrives", async () => {
    const { runtime, handler, runs } = countingHandler();
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await handler(eventFor(data, 1, "m-1"), traced);
    await handler(eventFor(data, 1, "m-2"), traced);
    await handler(eventFor(data, 2, "m-1"), traced);
    expect(runs()).toBe(1);
    const lines = runtime.logLines.filter((l) => String(l.message).includes("already done"));
    expect(lines).toHaveLength(2);
    expect(lines[0]?.["logging.googleapis.com/trace"]).toBe(
      "projects/local-project/traces/0af7651916cd43dd8448eb211c80319c",
    );
    expect(lines[0]?.correlationId).toBe("corr-1");
  });

  it("throws a retryable failure so the platform redelivers, and the retry runs the step again", async () => {
    const { handler, runs } = countingHandler(async (run) => {
      if (run === 1) throw new TransientError("UNAVAILABLE");
    });
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await expect(handler(eventFor(data))).rejects.toBeInstanceOf(TransientError);
    await handler(eventFor(data, 2));
    expect(runs()).toBe(2);
  });

  it("records a permanent failure in the ledger and acknowledges it without retrying", async () => {
    const { runtime, handler, runs } = countingHandler(async () => {
      throw new UpstreamError("INVALID_ARGUMENT: machine type unknown");
    });
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await handler(eventFor(data));
    await handler(eventFor(data, 2));
    expect(runs()).toBe(1);
    const entries = await runtime.ledger.read("fraud-detector", message.commit);
    expect(entries.map((e) => [e.action, e.outcome])).toEqual([["step-failed", "failed"]]);
    expect(entries[0]?.error?.message).toContain("machine type unknown");
    expect(entries[0]?.identity).toBe(runtime.identity);
  });

  it("records the last retryable failure before the message is dead-lettered", async () => {
    const runtime = memoryRuntime();
    const handler = pubsubFunction(
      step(async () => Promise.reject(new TransientError("still down"))),
      () => runtime,
    );
    const { data } = encodeMessage(Topic.trainingRequested, message);
    await expect(handler(eventFor(data, deliveryPolicy.maxDeliveryAttempts - 1))).rejects.toThrow();
    expect(await runtime.ledger.read("fraud-detector")).toHaveLength(0);
    await expect(handler(eventFor(data, deliveryPolicy.maxDeliveryAttempts))).rejects.toThrow();
    const entries = await runtime.ledger.read("fraud-detector");
    expect(entries.map((e) => e.action)).toEqual(["dead-lettered"]);
  });

  it.each([
    ["bytes that are not JSON", Buffer.from("{nope")],
    ["a message of another contract", Buffer.from(JSON.stringify({ ...message, trigger: "cron" }))],
    ["an empty message", Buffer.alloc(0)],
  ])("acknowledges and records %s without running the step", async (_name, data) => {
    const { runtime, handler, runs } = countingHandler();
    await handler(eventFor(data));
    expect(runs()).toBe(0);
    const entries = await runtime.ledger.read("_unattributed");
    expect(entries).toHaveLength(1);
    expect(entries[0]?.action).toBe("message-rejected");
    expect(runtime.logLines.some((l) => l.severity === "ERROR")).toBe(true);
  });
});
