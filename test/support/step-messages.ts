import type { DeploymentRequested, ReleasesRequested, TrainingRequested } from "../../shared/contracts.js";

/** A deployment-requested message as a promotion tag of fraud-detector at `commit` sends it. */
export function promotionRequest(
  commit: string,
  overrides: Partial<DeploymentRequested> = {},
): DeploymentRequested {
  return {
    schemaVersion: 1,
    correlationId: `promote-${commit.slice(0, 4)}`,
    model: "fraud-detector",
    commit,
    repository: "acme/fraud-detector",
    causedBy: [{ source: "github", id: `tag-${commit.slice(0, 4)}` }],
    createdAt: "2026-01-01T00:00:00.000Z",
    reason: "promotion-tag",
    tag: `promote/fraud-detector/${commit.slice(0, 7)}`,
    ...overrides,
  };
}

/** A training-requested message as a push of fraud-detector at `commit` sends it. */
export function trainingRequest(
  commit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
  overrides: Partial<TrainingRequested> = {},
): TrainingRequested {
  return {
    schemaVersion: 1,
    correlationId: "corr-1",
    model: "fraud-detector",
    commit,
    repository: "acme/fraud-detector",
    causedBy: [{ source: "github", id: "d-1" }],
    createdAt: "2026-01-01T00:00:00.000Z",
    trigger: "github-push",
    ...overrides,
  };
}

/** A releases-requested message as a push of acme/fraud-detector at `commit` sends it. */
export function releasesRequest(
  commit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
  overrides: Partial<ReleasesRequested> = {},
): ReleasesRequested {
  return {
    schemaVersion: 1,
    correlationId: "releases-1",
    repository: "acme/fraud-detector",
    commit,
    causedBy: [{ source: "github", id: "d-1" }],
    createdAt: "2026-01-01T00:00:00.000Z",
    trigger: "github-push",
    ref: "refs/heads/main",
    ...overrides,
  };
}
