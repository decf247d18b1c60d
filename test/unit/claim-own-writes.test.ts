import { describe, expect, it } from "vitest";
import { BucketClaimStore } from "../../shared/claim-store.js";
import { ClaimHeldError, TransientError } from "../../shared/errors.js";
import { runOnce } from "../../shared/ingress/once.js";
import type { BlobWriteOptions, BlobWriteResult, Claim, ClaimStore } from "../../shared/ports.js";
import { MemoryBlobStore } from "../support/memory-blob-store.js";

/**
 * The storage library retries a conditional write whose answer was lost; when the first attempt had landed, the
 * retry gets 412. This store lands the next `lost` conditional writes and then answers "precondition failed".
 */
class LostAnswerBlobStore extends MemoryBlobStore {
  lost = 0;
  override async write(
    name: string,
    data: Buffer | string,
    options: BlobWriteOptions = {},
  ): Promise<BlobWriteResult> {
    const result = await super.write(name, data, options);
    if (result.written && options.ifGenerationMatch !== undefined && this.lost > 0) {
      this.lost -= 1;
      return { written: false };
    }
    return result;
  }
}

function acquired(outcome: Awaited<ReturnType<ClaimStore["claim"]>>): Claim {
  if (outcome.state !== "acquired") throw new Error(`expected to acquire, got ${outcome.state}`);
  return outcome.claim;
}

describe("BucketClaimStore and its own retried writes (issue 14, item 6)", () => {
  it("takes a claim whose create landed though the retry got 412", async () => {
    const blobs = new LostAnswerBlobStore();
    const store = new BucketClaimStore(blobs);
    blobs.lost = 1;
    const claim = acquired(await store.claim("s", "k"));
    await store.complete(claim, "done");
    await expect(store.claim("s", "k")).resolves.toEqual({ state: "completed", result: "done" });
  });

  it("takes over an expired claim whose takeover write landed though the retry got 412", async () => {
    let now = 0;
    const blobs = new LostAnswerBlobStore();
    const store = new BucketClaimStore(blobs, () => now);
    acquired(await store.claim("s", "k", { ttlMs: 10 }));
    now = 20;
    blobs.lost = 1;
    const claim = acquired(await store.claim("s", "k"));
    await store.complete(claim, "taken over");
    await expect(store.claim("s", "k")).resolves.toEqual({ state: "completed", result: "taken over" });
  });

  // The write whose answer is lost: the completion itself, or a renewal before it.
  it.each([
    [
      "counts a completion that landed though the retry got 412 as done",
      async (_store: BucketClaimStore, claim: Claim) => claim,
    ],
    [
      "keeps a claim whose renewal landed though the retry got 412",
      (store: BucketClaimStore, claim: Claim) => store.renew(claim),
    ],
  ] as const)("%s", async (_name, beforeCompleting) => {
    const blobs = new LostAnswerBlobStore();
    const store = new BucketClaimStore(blobs);
    const claim = acquired(await store.claim("s", "k"));
    blobs.lost = 1;
    await store.complete(await beforeCompleting(store, claim), "done");
    await expect(store.claim("s", "k")).resolves.toEqual({ state: "completed", result: "done" });
  });

  it("still refuses a claim another attempt holds", async () => {
    const blobs = new LostAnswerBlobStore();
    const store = new BucketClaimStore(blobs);
    acquired(await store.claim("s", "k"));
    await expect(store.claim("s", "k")).rejects.toBeInstanceOf(ClaimHeldError);
  });
});

describe("runOnce when completing the claim fails after the work", () => {
  it("releases the claim, so the redelivery the reply asks for runs at once instead of waiting out the TTL", async () => {
    const store = new BucketClaimStore(new MemoryBlobStore());
    let failCompletion = true;
    const claims: ClaimStore = {
      ttlMs: store.ttlMs,
      claim: (scope, key, options) => store.claim(scope, key, options),
      complete: async (claim, result) => {
        if (failCompletion) throw new TransientError("storage unavailable");
        return store.complete(claim, result);
      },
      release: (claim) => store.release(claim),
      renew: (claim) => store.renew(claim),
    };
    let runs = 0;
    const work = async () => {
      runs += 1;
      return runs;
    };
    await expect(runOnce(claims, "s", "delivery-1", work)).rejects.toBeInstanceOf(TransientError);
    failCompletion = false;
    await expect(runOnce(claims, "s", "delivery-1", work)).resolves.toEqual({ state: "done", value: 2 });
    await expect(runOnce(claims, "s", "delivery-1", work)).resolves.toEqual({
      state: "duplicate",
      previous: 2,
    });
  });
});
