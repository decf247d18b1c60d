import { describe, expect, it } from "vitest";
import { ValidationError } from "../../shared/errors.js";
import type { LedgerRecord } from "../../shared/ledger.js";
import { BucketLedger } from "../../shared/ledger.js";
import { MemoryBlobStore } from "../support/memory-blob-store.js";

const record = (step: string, commit = "abc1234"): LedgerRecord => ({
  model: "fraud-detector",
  commit,
  step,
  action: "training-requested",
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

  it("pages a model's commits latest activity first, reading only the page's records", async () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const blobs = new MemoryBlobStore();
    const reads: string[] = [];
    const read = blobs.read.bind(blobs);
    blobs.read = (name: string) => {
      reads.push(name);
      return read(name);
    };
    const ledger = new BucketLedger(blobs, () => {
      t += 1000;
      return new Date(t);
    });
    // c00 … c24, two records each; then c03 gets a newer record, so it is the latest activity.
    for (let i = 0; i < 25; i++) {
      const commit = `c${String(i).padStart(2, "0")}`;
      await ledger.append(record("launchTraining", commit));
      await ledger.append(record("registerModel", commit));
    }
    await ledger.append(record("rolloutModel", "c03"));

    reads.length = 0;
    const first = await ledger.readCommitPage("fraud-detector", { limit: 10 });
    expect(first.commits.map((c) => c.commit)).toEqual([
      "c03",
      "c24",
      "c23",
      "c22",
      "c21",
      "c20",
      "c19",
      "c18",
      "c17",
      "c16",
    ]);
    expect(first.commits[0]?.entries.map((e) => e.step)).toEqual([
      "launchTraining",
      "registerModel",
      "rolloutModel",
    ]);
    expect(reads).toHaveLength(21);
    expect(first.nextPageToken).toBeDefined();

    // Appends between pages do not shift the next page.
    await ledger.append(record("launchTraining", "c99"));
    const seen = first.commits.map((c) => c.commit);
    let token = first.nextPageToken;
    while (token) {
      const page = await ledger.readCommitPage("fraud-detector", { limit: 10, pageToken: token });
      seen.push(...page.commits.map((c) => c.commit));
      token = page.nextPageToken;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen.at(-1)).toBe("c00");
  });

  it("refuses a page token it did not give out, naming it", async () => {
    const ledger = new BucketLedger(new MemoryBlobStore());
    await ledger.append(record("x"));
    await expect(
      ledger.readCommitPage("fraud-detector", { limit: 5, pageToken: "not-a-token" }),
    ).rejects.toThrow(ValidationError);
    await expect(
      ledger.readCommitPage("fraud-detector", { limit: 5, pageToken: "not-a-token" }),
    ).rejects.toThrow(/page token "not-a-token"/);
  });
});
