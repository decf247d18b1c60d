import type { ArtifactReady } from "../../shared/contracts.js";
import { aboutCommit } from "./step-messages.js";

/** An artifact-ready message as the bucket's notice of fraud-detector's manifest at `commit` sends it. */
export function artifactNotice(commit: string, overrides: Partial<ArtifactReady> = {}): ArtifactReady {
  return {
    ...aboutCommit(commit, `corr-${commit.slice(0, 6)}`, {
      source: "gcs",
      id: `modelgate-artifacts/models/fraud-detector/${commit}/modelgate.json#1`,
    }),
    artifactUri: `gs://modelgate-artifacts/models/fraud-detector/${commit}/`,
    ...overrides,
  };
}
