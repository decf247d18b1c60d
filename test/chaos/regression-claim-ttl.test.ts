import { describe, expect, it } from "vitest";
import { claimTtlSecondsFor } from "../../local/stack.js";
import { BucketClaimStore, defaultClaimTtlMs } from "../../shared/claim-store.js";
import { loadSettings } from "../../shared/settings.js";
import { deliveryPolicy } from "../../shared/topology.js";
import { MemoryBlobStore } from "../support/memory-blob-store.js";

// Found by the chaos suite (seed 1): launchTraining killed between claiming `model@commit` and creating the job left
// its claim in progress for the fixed 10 minutes. The local stack's trigger subscriptions redeliver with a 0.2–2 s
// backoff, so all 15 deliveries met the held claim (HTTP 500) within ~23 s, the message was dead-lettered, and
// `modelgate replay` dead-lettered it again: the commit was never trained. The claim must expire while redeliveries
// are still coming.

/** How long the subscription's redeliveries of one message span, with exponential backoff. */
function redeliverySpanSeconds(backoff: { minimum: number; maximum: number }): number {
  let span = 0;
  for (let attempt = 1; attempt < deliveryPolicy.maxDeliveryAttempts; attempt++) {
    span += Math.min(backoff.maximum, backoff.minimum * 2 ** (attempt - 1));
  }
  return span;
}

describe("step claims after a crash", () => {
  it("expire well within the redelivery span of the stack's backoff", () => {
    for (const backoff of [
      { minimum: 0.2, maximum: 2 },
      { minimum: 0.5, maximum: 5 },
      { minimum: 1, maximum: 10 },
    ]) {
      const ttl = claimTtlSecondsFor(backoff);
      expect(ttl).toBeLessThan(redeliverySpanSeconds(backoff) / 2);
      expect(ttl).toBeGreaterThanOrEqual(5);
    }
    // The cloud's policy keeps the 10-minute default, far inside its ~90 minutes of redeliveries.
    const cloud = {
      minimum: deliveryPolicy.minimumBackoffSeconds,
      maximum: deliveryPolicy.maximumBackoffSeconds,
    };
    expect(claimTtlSecondsFor(cloud) * 1000).toBe(defaultClaimTtlMs);
    expect(redeliverySpanSeconds(cloud) * 1000).toBeGreaterThan(5 * defaultClaimTtlMs);
  });

  it("take the lifetime from MODELGATE_CLAIM_TTL_SECONDS, so a redelivery takes over a dead attempt's claim", async () => {
    expect(loadSettings({}).claimTtlMs).toBe(defaultClaimTtlMs);
    expect(() => loadSettings({ MODELGATE_CLAIM_TTL_SECONDS: "soon" })).toThrow(
      /MODELGATE_CLAIM_TTL_SECONDS/,
    );
    let now = 1_000_000;
    const store = new BucketClaimStore(
      new MemoryBlobStore(),
      () => now,
      loadSettings({ MODELGATE_CLAIM_TTL_SECONDS: "7.7" }).claimTtlMs,
    );
    const first = await store.claim("launchTraining", "fraud-detector@abc");
    expect(first.state).toBe("acquired"); // …and the instance is killed here
    now += 5_000;
    await expect(store.claim("launchTraining", "fraud-detector@abc")).rejects.toThrow(/in progress/);
    now += 3_000;
    expect((await store.claim("launchTraining", "fraud-detector@abc")).state).toBe("acquired");
  });
});
