import { afterEach, describe, expect, it, vi } from "vitest";
import { BucketClaimStore, claimObjectName, holdClaim } from "../../shared/claim-store.js";
import { ClaimHeldError, TransientError } from "../../shared/errors.js";
import type { ClaimStore } from "../../shared/ports.js";
import { MemoryBlobStore } from "../support/memory-blob-store.js";

describe("BucketClaimStore", () => {
  it("lets exactly one of 20 concurrent claims of one key win", async () => {
    const store = new BucketClaimStore(new MemoryBlobStore());
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => store.claim("launchTraining", "m@c")),
    );
    const winners = results.filter((r) => r.status === "fulfilled" && r.value.state === "acquired");
    const held = results.filter((r) => r.status === "rejected" && r.reason instanceof ClaimHeldError);
    expect(winners).toHaveLength(1);
    expect(held).toHaveLength(19);
  });

  it("returns the stored result once completed", async () => {
    const store = new BucketClaimStore(new MemoryBlobStore());
    const first = await store.claim("s", "k");
    if (first.state !== "acquired") throw new Error("expected to acquire");
    await store.complete(first.claim, { job: "customJobs/1" });
    await expect(store.claim("s", "k")).resolves.toEqual({
      state: "completed",
      result: { job: "customJobs/1" },
    });
  });

  it("lets exactly one caller take over an expired claim", async () => {
    let now = 1_000;
    const blobs = new MemoryBlobStore();
    const store = new BucketClaimStore(blobs, () => now);
    const crashed = await store.claim("s", "k", { ttlMs: 100 });
    expect(crashed.state).toBe("acquired");
    await expect(store.claim("s", "k")).rejects.toBeInstanceOf(ClaimHeldError);
    now += 101;
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => store.claim("s", "k")));
    expect(results.filter((r) => r.status === "fulfilled" && r.value.state === "acquired")).toHaveLength(1);
  });

  it("retries after a crash between claim and completion instead of losing the work", async () => {
    let now = 0;
    const store = new BucketClaimStore(new MemoryBlobStore(), () => now);
    await store.claim("s", "k", { ttlMs: 50 }); // the attempt dies here, never completing
    now = 60;
    const retry = await store.claim("s", "k");
    if (retry.state !== "acquired") throw new Error("expected the retry to take the claim over");
    await store.complete(retry.claim, "done");
    await expect(store.claim("s", "k")).resolves.toEqual({ state: "completed", result: "done" });
  });

  it("refuses to complete a claim another attempt took over", async () => {
    let now = 0;
    const store = new BucketClaimStore(new MemoryBlobStore(), () => now);
    const slow = await store.claim("s", "k", { ttlMs: 10 });
    now = 20;
    const fast = await store.claim("s", "k");
    if (slow.state !== "acquired" || fast.state !== "acquired")
      throw new Error("expected both to acquire in turn");
    await store.complete(fast.claim, "fast");
    await expect(store.complete(slow.claim, "slow")).rejects.toBeInstanceOf(ClaimHeldError);
    await expect(store.claim("s", "k")).resolves.toEqual({ state: "completed", result: "fast" });
  });

  it("frees a released claim at once", async () => {
    const blobs = new MemoryBlobStore();
    const store = new BucketClaimStore(blobs);
    const first = await store.claim("s", "k");
    if (first.state !== "acquired") throw new Error("expected to acquire");
    await store.release(first.claim);
    expect(blobs.objects.has(claimObjectName("s", "k"))).toBe(false);
    expect((await store.claim("s", "k")).state).toBe("acquired");
  });

  it("keeps keys with slashes and # in one object under the scope", () => {
    expect(claimObjectName("artifactUploaded", "b/models/m/c/modelgate.json#17")).toMatch(
      /^idempotency\/artifactUploaded\/[0-9a-f]{64}$/,
    );
  });
});

// Regression (chaos seed 20240608): a verification that ran longer than the claim's lifetime on a busy machine had
// its claim taken over by a duplicate delivery, which verified and recorded a second time. Claims are now renewed
// while their step runs.
describe("holdClaim (lease renewal)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Advances the store's clock and the timers together, in steps, so renewals run in between. */
  async function pass(clock: { now: number }, ms: number, step = 100): Promise<void> {
    for (let passed = 0; passed < ms; passed += step) {
      clock.now += step;
      await vi.advanceTimersByTimeAsync(step);
    }
  }

  /** A store on fake timers and a clock of its own (claims live 900 ms), and a claim acquired on it. */
  async function acquiredOnFakeClock(step: string, key: string) {
    vi.useFakeTimers();
    const clock = { now: 1_000 };
    const store = new BucketClaimStore(new MemoryBlobStore(), () => clock.now, 900);
    const first = await store.claim(step, key);
    if (first.state !== "acquired") throw new Error("expected to acquire");
    return { clock, store, claim: first.claim };
  }

  it("keeps a claim alive past its lifetime while the step runs, so a redelivery waits", async () => {
    const { clock, store, claim } = await acquiredOnFakeClock("verifyDeployment", "m@c");
    const held = holdClaim(store, claim);
    await pass(clock, 3_000);
    await expect(store.claim("verifyDeployment", "m@c")).rejects.toBeInstanceOf(ClaimHeldError);
    await held.stop();
    expect(held.current().generation).not.toBe(claim.generation);
    await store.complete(held.current(), "verified once");
    await expect(store.claim("verifyDeployment", "m@c")).resolves.toEqual({
      state: "completed",
      result: "verified once",
    });
  });

  it("stops renewing when stopped, so a crashed attempt's claim still expires and is taken over", async () => {
    const { clock, store, claim } = await acquiredOnFakeClock("s", "k");
    const held = holdClaim(store, claim);
    await pass(clock, 600);
    await held.stop();
    await pass(clock, 1_000);
    await expect(store.claim("s", "k")).resolves.toMatchObject({ state: "acquired" });
  });

  it("reports a claim lost to a takeover and stops renewing it", async () => {
    const { clock, store, claim } = await acquiredOnFakeClock("s", "k");
    const lost: unknown[] = [];
    // The clock jumps past the lifetime before the first renewal (an instance frozen for a while).
    clock.now += 1_000;
    const other = await store.claim("s", "k");
    expect(other.state).toBe("acquired");
    const held = holdClaim(store, claim, (error) => lost.push(error));
    await pass(clock, 600);
    await held.stop();
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(ClaimHeldError);
    await expect(store.complete(held.current(), "late")).rejects.toBeInstanceOf(ClaimHeldError);
  });

  it("keeps renewing after a renewal fails for another reason than a takeover", async () => {
    vi.useFakeTimers();
    const clock = { now: 1_000 };
    const bucketStore = new BucketClaimStore(new MemoryBlobStore(), () => clock.now, 900);
    let failures = 1;
    const store: ClaimStore = {
      ttlMs: bucketStore.ttlMs,
      claim: (scope, key, options) => bucketStore.claim(scope, key, options),
      complete: (claim, result) => bucketStore.complete(claim, result),
      release: (claim) => bucketStore.release(claim),
      renew: async (claim) => {
        if (failures-- > 0) throw new TransientError("storage answered 503");
        return bucketStore.renew(claim);
      },
    };
    const first = await store.claim("s", "k");
    if (first.state !== "acquired") throw new Error("expected to acquire");
    const lost: unknown[] = [];
    const held = holdClaim(store, first.claim, (error) => lost.push(error));
    await pass(clock, 3_000);
    await expect(store.claim("s", "k")).rejects.toBeInstanceOf(ClaimHeldError);
    await held.stop();
    expect(lost).toEqual([]);
    await expect(store.complete(held.current(), "done")).resolves.toBeUndefined();
  });
});
