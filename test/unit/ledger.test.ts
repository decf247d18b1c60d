import { describe, expect, it } from "vitest";
import type { LedgerRecord } from "../../shared/ledger.js";
import { BucketLedger } from "../../shared/ledger.js";
import { MemoryBlobStore } from "../support/memory-blob-store.js";

const record = (step: string, commit = "abc1234"): LedgerRecord => ({
  model: "fraud-detector",
  commit,
  step,
  action: "test",
  outcome: "succeeded",
  correlationId: "c",
  causedBy: [{ source: "test", id: step }],
});

describe("BucketLedger", () => {
  it("loses nothing under concurrent appends in the same millisecond", async () => {
    const ledger = new BucketLedger(new MemoryBlobStore(), () => new Date("2026-01-01T00:00:00Z"));
    await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.append(record(`step-${i}`))));
    const entries = await ledger.read("fraud-detector", "abc1234");
    expect(entries).toHaveLength(50);
    expect(new Set(entries.map((e) => e.step)).size).toBe(50);
  });

  it("reads a model's records oldest first, across commits", async () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const tick = () => {
      t += 1000;
      return new Date(t);
    };
    const ledger = new BucketLedger(new MemoryBlobStore(), tick);
    await ledger.append(record("launchTraining", "bbbbbbb"));
    await ledger.append(record("registerModel", "aaaaaaa"));
    await ledger.append(record("deployModel", "bbbbbbb"));
    expect((await ledger.read("fraud-detector")).map((e) => e.step)).toEqual([
      "launchTraining",
      "registerModel",
      "deployModel",
    ]);
    expect((await ledger.read("fraud-detector", "bbbbbbb")).map((e) => e.step)).toEqual([
      "launchTraining",
      "deployModel",
    ]);
  });

  it("keeps path segments safe whatever the record says", async () => {
    const blobs = new MemoryBlobStore();
    const ledger = new BucketLedger(blobs);
    const entry = await ledger.append({ ...record("x"), model: "../etc", commit: ".." });
    expect(entry.id.startsWith("ledger/.._etc/_unattributed/")).toBe(true);
    expect(entry.id).not.toContain("/../");
  });
});
