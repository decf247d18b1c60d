import { Storage } from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LocalStorageServer,
  localStorageClientOptions,
  startStorageServer,
} from "../../local/storage/index.js";
import { BucketClaimStore } from "../../shared/claim-store.js";
import { ClaimHeldError } from "../../shared/errors.js";
import { GcsBlobStore } from "../../shared/gcs-blob-store.js";
import { BucketLedger } from "../../shared/ledger.js";

// The claim store and the ledger through the real @google-cloud/storage client: the preconditions that make them
// safe are the server's, not an in-memory imitation's.
describe("claim store and ledger on Cloud Storage", () => {
  let server: LocalStorageServer;
  let blobs: GcsBlobStore;
  beforeAll(async () => {
    server = await startStorageServer();
    server.createBucket("claims-bucket");
    blobs = new GcsBlobStore(new Storage(localStorageClientOptions(server.url)), "claims-bucket");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("lets exactly one of 20 concurrent claims of one key win", async () => {
    const store = new BucketClaimStore(blobs);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => store.claim("deployModel", "m@c#1")),
    );
    expect(results.filter((r) => r.status === "fulfilled" && r.value.state === "acquired")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected" && r.reason instanceof ClaimHeldError)).toHaveLength(
      19,
    );
  });

  it("lets exactly one caller take over an expired claim, and a crash before completion is retried", async () => {
    let now = Date.now();
    const store = new BucketClaimStore(blobs, () => now);
    const crashed = await store.claim("launchTraining", "m@expired", { ttlMs: 1000 });
    expect(crashed.state).toBe("acquired");
    now += 1001;
    const takeovers = await Promise.allSettled(
      Array.from({ length: 8 }, () => store.claim("launchTraining", "m@expired")),
    );
    const winners = takeovers.flatMap((r) =>
      r.status === "fulfilled" && r.value.state === "acquired" ? [r.value] : [],
    );
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    if (winner?.state !== "acquired") throw new Error("expected a winner");
    await store.complete(winner.claim, { job: "customJobs/9" });
    await expect(store.claim("launchTraining", "m@expired")).resolves.toEqual({
      state: "completed",
      result: { job: "customJobs/9" },
    });
  });

  it("keeps every one of 40 concurrent ledger appends, in time order", async () => {
    const ledger = new BucketLedger(blobs);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        ledger.append({
          model: "fraud-detector",
          commit: "abcdef1",
          step: `step-${i}`,
          action: "training-requested",
          outcome: "succeeded",
          correlationId: "c",
          causedBy: [{ source: "test", id: String(i) }],
        }),
      ),
    );
    const entries = await ledger.read("fraud-detector", "abcdef1");
    expect(entries).toHaveLength(40);
    expect(new Set(entries.map((e) => e.step)).size).toBe(40);
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort());
  });
});
