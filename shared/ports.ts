import type { MessageOf } from "./contracts.js";
import type { LedgerEntry, LedgerRecord } from "./ledger.js";
import type { TopicName } from "./topology.js";

/** Publishes a validated contract message to its topic; resolves with the message id. */
export interface Publisher {
  publish<T extends TopicName>(topic: T, message: MessageOf<T>): Promise<string>;
}

/** An object in the artifact bucket, as far as modelgate needs it. */
export interface StoredObject {
  name: string;
  generation: string;
  data: Buffer;
}

/** How BlobStore.write writes: the content type, and the generation the object must have ("0": none). */
export interface BlobWriteOptions {
  contentType?: string;
  ifGenerationMatch?: string;
}

/** What BlobStore.write did: the new generation, or nothing when the precondition failed. */
export type BlobWriteResult = { written: true; generation: string } | { written: false };

/** The artifact bucket, narrowed to what modelgate does with it. */
export interface BlobStore {
  /** The bucket's name, for gs:// URIs in messages and reports. */
  readonly bucket: string;
  /** The object, or null when it does not exist. */
  read(name: string): Promise<StoredObject | null>;
  /** Streams an object's bytes (golden sets can be large); rejects with NotFoundError when it does not exist. */
  readStream(name: string): AsyncIterable<Buffer>;
  /**
   * Writes an object. With `ifGenerationMatch` the write happens only if the object's generation is that value
   * ("0": only if it does not exist); otherwise it resolves `{ written: false }` and changes nothing.
   */
  write(name: string, data: Buffer | string, options?: BlobWriteOptions): Promise<BlobWriteResult>;
  /** Object names and generations under a prefix, sorted by name. */
  list(prefix: string): Promise<Array<{ name: string; generation: string }>>;
  /** Deletes an object; with `ifGenerationMatch` only that generation. Resolves false when nothing was deleted. */
  delete(name: string, options?: { ifGenerationMatch?: string }): Promise<boolean>;
}

/** A step claim held by this attempt. */
export interface Claim {
  readonly scope: string;
  readonly key: string;
  readonly owner: string;
  readonly objectName: string;
  readonly generation: string;
}

export type ClaimOutcome = { state: "acquired"; claim: Claim } | { state: "completed"; result: unknown };

/**
 * Makes each step's effect happen once per idempotency key across redeliveries. `claim` creates the claim with a
 * create-only precondition; a live in-progress claim held by another attempt throws ClaimHeldError (retryable);
 * an expired one is taken over by exactly one caller; a completed one returns the stored result.
 */
export interface ClaimStore {
  claim(scope: string, key: string, options?: { ttlMs?: number }): Promise<ClaimOutcome>;
  /** Marks the claim completed with a JSON-serialisable result. */
  complete(claim: Claim, result: unknown): Promise<void>;
  /** Gives the claim up (after a retryable failure) so the next attempt need not wait for expiry. */
  release(claim: Claim): Promise<void>;
  /**
   * Pushes a live claim's expiry one lifetime further (a lease renewal), returning the claim at its new generation;
   * throws ClaimHeldError when another attempt has taken it over. See `holdClaim` in claim-store.ts.
   */
  renew(claim: Claim): Promise<Claim>;
  /** How long a claim protects a step without renewal. */
  readonly ttlMs: number;
}

/** Append-only audit trail in the artifact bucket (`ledger/<model>/<commit>/…`). */
/** A page of commits from `Ledger.readCommitPage`; `nextPageToken` is set when older commits remain. */
export interface LedgerCommitPage {
  commits: Array<{ commit: string; entries: LedgerEntry[] }>;
  nextPageToken?: string;
}

export interface Ledger {
  append(record: LedgerRecord): Promise<LedgerEntry>;
  /** A model's records (optionally one commit's), oldest first. */
  read(model: string, commit?: string): Promise<LedgerEntry[]>;
  /** One page of a model's commits, latest activity first, each with its records (oldest first). */
  readCommitPage(model: string, page: { limit: number; pageToken?: string }): Promise<LedgerCommitPage>;
}
