import type { DeploymentRequested } from "../../shared/contracts.js";

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
