import { describe, expect, it } from "vitest";
import { TransientError, ValidationError } from "../../shared/errors.js";
import {
  type AppliedRelease,
  appliedReleasePath,
  listAppliedReleases,
  readAppliedRelease,
  servingRelease,
  writeAppliedRelease,
} from "../../shared/releases/applied-release.js";
import { MemoryBlobStore } from "../support/memory-blob-store.js";

const declared = "b".repeat(40);
const applied: AppliedRelease = {
  schemaVersion: 1,
  model: "fraud-detector",
  release: { commit: "c".repeat(40), tag: "promote/fraud-detector/v3", canaryPercent: 20 },
  declaredBy: {
    repository: "acme/fraud-detector",
    commit: declared,
    path: "modelgate.releases.yaml",
    trigger: "github-push",
    author: "octocat",
    pullRequest: { number: 7, mergedBy: "hubot", approvers: ["monalisa"] },
    at: "2026-01-01T00:00:00.000Z",
  },
  state: "requested",
  updatedAt: "2026-01-01T00:00:00.000Z",
};

describe("applied releases in the bucket", () => {
  it("writes releases/<model>.json create-only, reads it back, and lists every model's", async () => {
    const blobs = new MemoryBlobStore();
    const generation = await writeAppliedRelease(blobs, applied, "0");
    expect(appliedReleasePath("fraud-detector")).toBe("releases/fraud-detector.json");
    expect(await readAppliedRelease(blobs, "fraud-detector")).toEqual({ applied, generation });
    expect(await readAppliedRelease(blobs, "churn")).toBeNull();
    expect(await listAppliedReleases(blobs)).toEqual([applied]);
  });

  it("refuses to overwrite a state that changed since it was read (retryable)", async () => {
    const blobs = new MemoryBlobStore();
    const first = await writeAppliedRelease(blobs, applied, "0");
    await writeAppliedRelease(blobs, { ...applied, state: "serving" }, first);
    await expect(writeAppliedRelease(blobs, { ...applied, state: "failed" }, first)).rejects.toBeInstanceOf(
      TransientError,
    );
    expect((await readAppliedRelease(blobs, "fraud-detector"))?.applied.state).toBe("serving");
  });

  it.each([
    ["not JSON", "{", /not JSON/],
    [
      "an abbreviated commit",
      JSON.stringify({ ...applied, release: { commit: "abcdef1" } }),
      /release\.commit/,
    ],
    ["an unknown state", JSON.stringify({ ...applied, state: "done" }), /state/],
  ])("refuses a stored object that is %s, naming the object", async (_name, body, problem) => {
    const blobs = new MemoryBlobStore();
    await blobs.write("releases/fraud-detector.json", body);
    const read = readAppliedRelease(blobs, "fraud-detector");
    await expect(read).rejects.toBeInstanceOf(ValidationError);
    await expect(readAppliedRelease(blobs, "fraud-detector")).rejects.toThrow(
      /releases\/fraud-detector\.json/,
    );
    await expect(readAppliedRelease(blobs, "fraud-detector")).rejects.toThrow(problem);
  });

  it("names the release that serves: the current one once serving, else the last that served", () => {
    expect(servingRelease(applied)).toBeUndefined();
    const serving = { ...applied, state: "serving" as const, versionId: "3" };
    expect(servingRelease(serving)).toEqual({
      release: applied.release,
      declaredBy: applied.declaredBy,
      versionId: "3",
      updatedAt: applied.updatedAt,
    });
    const lastServing = servingRelease(serving);
    if (!lastServing) throw new Error("expected a serving release");
    expect(servingRelease({ ...applied, state: "failed", reason: "accuracy", lastServing })).toEqual(
      lastServing,
    );
  });
});
