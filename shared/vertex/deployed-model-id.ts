import { createHash } from "node:crypto";

/**
 * Vertex AI accepts a caller-chosen `DeployedModel.id` of 1 to 10 digits (`/[0-9]/`, see DeployedModel.id in
 * google/cloud/aiplatform/v1/endpoint.proto), so the id is a number derived from a hash rather than a name.
 * 9·10⁹ values keep the first digit non-zero (no id that a parser might shorten), which makes a collision between
 * two commits of one model on one endpoint about one in 4.5 billion per pair.
 */
const idSpace = 9_000_000_000n;
const idOffset = 1_000_000_000n;

/** The deterministic 10-digit DeployedModel id for a model's commit, so a repeat finds what an earlier attempt deployed. */
export function deployedModelId(model: string, commit: string): string {
  const digest = createHash("sha256").update(`modelgate/${model}@${commit}`).digest();
  return String((digest.readBigUInt64BE(0) % idSpace) + idOffset);
}
