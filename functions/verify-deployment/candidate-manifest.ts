import { sameCommit } from "../../shared/commit.js";
import { readCommitManifest } from "../../shared/commit-artifact.js";
import type { DeploymentReady } from "../../shared/contracts.js";
import { ArtifactError } from "../../shared/errors.js";
import { type Manifest, ManifestError, manifestPath, parseManifest } from "../../shared/manifest.js";
import type { BlobStore } from "../../shared/ports.js";

/**
 * The candidate's `modelgate.json`, which must exist, parse and name the message's model and commit: it holds the
 * baseline drift is measured against. Anything else is a permanent ArtifactError naming the object.
 */
export async function readCandidateManifest(blobs: BlobStore, message: DeploymentReady): Promise<Manifest> {
  const found = await readCommitManifest(blobs, message.model, message.commit);
  if (!found) {
    throw new ArtifactError(
      `the candidate's gs://${blobs.bucket}/${manifestPath(message.model, message.commit)} does not exist: no baseline to measure drift against`,
    );
  }
  const { name, object } = found;
  let manifest: Manifest;
  try {
    manifest = parseManifest(JSON.parse(object.data.toString("utf8")));
  } catch (error) {
    const reason =
      error instanceof ManifestError || error instanceof SyntaxError ? error.message : String(error);
    throw new ArtifactError(`gs://${blobs.bucket}/${name} is not a valid modelgate.json: ${reason}`, {
      cause: error,
    });
  }
  if (manifest.model !== message.model || !sameCommit(manifest.commit, message.commit)) {
    throw new ArtifactError(
      `gs://${blobs.bucket}/${name} names ${manifest.model}@${manifest.commit}, not ${message.model}@${message.commit}`,
    );
  }
  return manifest;
}
