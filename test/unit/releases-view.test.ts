import { describe, expect, it } from "vitest";
import { compareRelease, renderReleaseStatus } from "../../cli/releases-view.js";
import type { ServingRow } from "../../cli/status-view.js";
import type { AppliedRelease } from "../../shared/releases/applied-release.js";

const [a, b] = ["a".repeat(40), "b".repeat(40)];
const row = (commit: string, versionId: string, percent: number): ServingRow => ({
  deployedModelId: `d-${versionId}`,
  versionId,
  commit,
  percent,
  verdict: "-",
});
const declaredBy = {
  repository: "acme/fraud-detector",
  commit: "d".repeat(40),
  path: "modelgate.releases.yaml",
  trigger: "github-push" as const,
  at: "2026-01-01T00:00:00.000Z",
};
const serving: AppliedRelease = {
  schemaVersion: 1,
  model: "fraud-detector",
  release: { commit: a },
  declaredBy,
  state: "serving",
  versionId: "3",
  updatedAt: "2026-01-01T00:00:00.000Z",
};

describe("releases status", () => {
  it("is in sync when the declared release serves all traffic under the production alias", () => {
    const status = compareRelease("fraud-detector", serving, [row(a, "3", 100)], "3");
    expect(status.differences).toEqual([]);
    expect(renderReleaseStatus(status)).toContain("in sync");
  });

  it.each([
    [
      "another commit serves",
      serving,
      [row(b, "4", 100)],
      "4",
      /should serve aaaaaaaaaaaa, serves bbbbbbbbbbbb/,
    ],
    ["traffic is split", serving, [row(a, "3", 90), row(b, "4", 10)], "3", /traffic is split/],
    ["the alias is elsewhere", serving, [row(a, "3", 100)], "2", /production alias names version 2/],
    [
      "the release failed (the last serving one still serves)",
      {
        ...serving,
        release: { commit: b },
        state: "failed" as const,
        reason: "accuracy",
        lastServing: { release: { commit: a }, declaredBy, updatedAt: serving.updatedAt },
      },
      [row(a, "3", 100)],
      "3",
      /release bbbbbbbbbbbb failed: accuracy/,
    ],
    [
      "the release is being applied",
      { ...serving, state: "requested" as const },
      [row(a, "3", 100)],
      "3",
      /being applied/,
    ],
  ])("differs when %s", (_name, applied, rows, alias, difference) => {
    const status = compareRelease("fraud-detector", applied, rows, alias);
    expect(status.differences.join("; ")).toMatch(difference);
    expect(renderReleaseStatus(status)).toContain("DIFFERS");
  });

  it("compares nothing for a model without an applied release", () => {
    expect(compareRelease("churn", null, [row(a, "1", 100)], null).differences).toEqual([]);
  });
});
