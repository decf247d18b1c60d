import { describe, expect, it } from "vitest";
import { BucketClaimStore, claimObjectName } from "../../shared/claim-store.js";
import { ClaimHeldError } from "../../shared/errors.js";
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
