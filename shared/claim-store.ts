import { createHash, randomUUID } from "node:crypto";
import { ClaimHeldError } from "./errors.js";
import type { BlobStore, Claim, ClaimOutcome, ClaimStore } from "./ports.js";

interface ClaimRecord {
  key: string;
  state: "in-progress" | "completed";
  owner: string;
  expiresAt: number;
  result?: unknown;
}

/** How long an in-progress claim protects a step before another attempt may take it over. */
export const defaultClaimTtlMs = 10 * 60 * 1000;

/**
 * ClaimStore on the artifact bucket (`idempotency/<scope>/<hash of key>`). A claim is created with a create-only
 * precondition; taking over an expired claim and completing one both use the generation read before, so of any
 * number of racing attempts exactly one wins. The same trick as Terraform's GCS state lock.
 *
 * A precondition failure is not always someone else: the storage library retries a conditional write whose answer
 * was lost, and the retry of a write that had landed gets 412. Every claim has its own random owner, so a record
 * read back with our owner is our own write, and is treated as such.
 */
export class BucketClaimStore implements ClaimStore {
  constructor(
    private readonly blobs: BlobStore,
    private readonly now: () => number = Date.now,
    /** How long a claim protects a step when `claim` is not told (MODELGATE_CLAIM_TTL_SECONDS, see runtime.ts). */
    readonly ttlMs: number = defaultClaimTtlMs,
  ) {}

  async claim(scope: string, key: string, options: { ttlMs?: number } = {}): Promise<ClaimOutcome> {
    const objectName = claimObjectName(scope, key);
    const owner = randomUUID();
    const record: ClaimRecord = {
      key,
      state: "in-progress",
      owner,
      expiresAt: this.now() + (options.ttlMs ?? this.ttlMs),
    };
    const created = await this.blobs.write(objectName, JSON.stringify(record), {
      contentType: "application/json",
      ifGenerationMatch: "0",
    });
    if (created.written)
      return { state: "acquired", claim: { scope, key, owner, objectName, generation: created.generation } };

    const existing = await this.blobs.read(objectName);
    if (!existing) {
      // Released between our create and our read: try once more from the start.
      return this.claim(scope, key, options);
    }
    const current = parseRecord(existing.data);
    if (current.owner === owner && current.state === "in-progress") {
      return { state: "acquired", claim: { scope, key, owner, objectName, generation: existing.generation } };
    }
    if (current.state === "completed") return { state: "completed", result: current.result };
    if (current.expiresAt > this.now()) {
      throw new ClaimHeldError(`step ${scope} for "${key}" is in progress in another attempt`, {
        details: { scope, key, expiresAt: new Date(current.expiresAt).toISOString() },
      });
    }
    // Expired: a crashed attempt. Take it over only if nobody else did since we read it.
    const takeover = await this.blobs.write(objectName, JSON.stringify(record), {
      contentType: "application/json",
      ifGenerationMatch: existing.generation,
    });
    if (!takeover.written) {
      const ours = await this.readOwn(objectName, owner, "in-progress");
      if (ours) return { state: "acquired", claim: { scope, key, owner, objectName, generation: ours } };
      throw new ClaimHeldError(`step ${scope} for "${key}" was just taken over by another attempt`, {
        details: { scope, key },
      });
    }
    return { state: "acquired", claim: { scope, key, owner, objectName, generation: takeover.generation } };
  }

  async complete(claim: Claim, result: unknown): Promise<void> {
    const record: ClaimRecord = {
      key: claim.key,
      state: "completed",
      owner: claim.owner,
      expiresAt: 0,
      result,
    };
    const written = await this.blobs.write(claim.objectName, JSON.stringify(record), {
      contentType: "application/json",
      ifGenerationMatch: claim.generation,
    });
    if (!written.written) {
      if (await this.readOwn(claim.objectName, claim.owner, "completed")) return;
      // Our claim expired and another attempt took it over; its own completion stands.
      throw new ClaimHeldError(
        `claim for "${claim.key}" in ${claim.scope} was taken over before it completed`,
        {
          details: { scope: claim.scope, key: claim.key },
        },
      );
    }
  }

  async release(claim: Claim): Promise<void> {
    await this.blobs.delete(claim.objectName, { ifGenerationMatch: claim.generation });
  }

  async renew(claim: Claim): Promise<Claim> {
    const record: ClaimRecord = {
      key: claim.key,
      state: "in-progress",
      owner: claim.owner,
      expiresAt: this.now() + this.ttlMs,
    };
    const written = await this.blobs.write(claim.objectName, JSON.stringify(record), {
      contentType: "application/json",
      ifGenerationMatch: claim.generation,
    });
    if (!written.written) {
      const ours = await this.readOwn(claim.objectName, claim.owner, "in-progress");
      if (ours) return { ...claim, generation: ours };
      throw new ClaimHeldError(`claim for "${claim.key}" in ${claim.scope} was taken over while it ran`, {
        details: { scope: claim.scope, key: claim.key },
      });
    }
    return { ...claim, generation: written.generation };
  }

  /** The generation of the claim object if it holds our own record in that state (our write landed after all). */
  private async readOwn(
    objectName: string,
    owner: string,
    state: ClaimRecord["state"],
  ): Promise<string | undefined> {
    const found = await this.blobs.read(objectName);
    if (!found) return undefined;
    const record = parseRecord(found.data);
    return record.owner === owner && record.state === state ? found.generation : undefined;
  }
}

/** A claim kept alive while its step runs: `current()` is the claim at its latest generation. */
export interface HeldClaim {
  current(): Claim;
  /** Stops renewing and waits for a renewal in flight, so `current()` is final for complete/release. */
  stop(): Promise<void>;
}

/**
 * Renews `claim` every third of its lifetime until stopped: a step that runs longer than the claim's lifetime
 * (a large verification on a busy instance) keeps it, so a redelivery waits instead of taking it over and doing
 * the work a second time. A crashed instance stops renewing, and its claim expires as before. A renewal that finds
 * the claim taken over is reported to `onLost` and renewing stops (the step's own completion then fails with
 * ClaimHeldError); one that fails otherwise (a storage hiccup) is tried again at the next tick.
 */
export function holdClaim(
  store: ClaimStore,
  claim: Claim,
  onLost: (error: unknown) => void = () => undefined,
): HeldClaim {
  let current = claim;
  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;
  const timer = setInterval(
    () => {
      if (stopped) return;
      inFlight = inFlight.then(async () => {
        if (stopped) return;
        try {
          current = await store.renew(current);
        } catch (error) {
          // A transient failure leaves two thirds of the lifetime: the next tick tries again.
          if (!(error instanceof ClaimHeldError)) return;
          stopped = true;
          clearInterval(timer);
          onLost(error);
        }
      });
    },
    Math.max(10, Math.floor(store.ttlMs / 3)),
  );
  timer.unref?.();
  return {
    current: () => current,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}

function parseRecord(data: Buffer): ClaimRecord {
  return JSON.parse(data.toString("utf8")) as ClaimRecord;
}

/** `idempotency/<scope>/<sha256(key)>`: keys hold slashes and `#`, so they are hashed into one safe segment. */
export function claimObjectName(scope: string, key: string): string {
  return `idempotency/${scope}/${createHash("sha256").update(key).digest("hex")}`;
}
