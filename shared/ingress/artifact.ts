import { sameCommit, sameRepository } from "../commit.js";
import { ArtifactError } from "../errors.js";
import { type Manifest, ManifestError, manifestPath, parseManifest, parseManifestPath } from "../manifest.js";
import type { BlobStore } from "../ports.js";

/** An artifact's base directory in the artifact bucket: `gs://<bucket>/models/<model>/<commit>/`. */
export interface ArtifactLocation {
  bucket: string;
  model: string;
  /** The commit as the directory names it (possibly abbreviated). */
  commit: string;
  /** `gs://<bucket>/models/<model>/<commit>/`, with the trailing slash. */
  uri: string;
}

/**
 * Parses an artifact URI and refuses (ArtifactError) one outside the artifact bucket or not exactly a
 * `models/<model>/<commit>/` directory: an event must not point modelgate at objects it does not own.
 */
export function parseArtifactUri(uri: string, bucket: string): ArtifactLocation {
  const match = /^gs:\/\/([^/]+)\/(.*)$/.exec(uri.trim());
  if (!match?.[1] || match[2] === undefined) {
    throw new ArtifactError(`artifact URI ${JSON.stringify(uri)} is not a gs://bucket/path URI`);
  }
  if (match[1] !== bucket) {
    throw new ArtifactError(`artifact URI ${uri} is outside the artifact bucket gs://${bucket}`);
  }
  const directory = match[2].endsWith("/") ? match[2] : `${match[2]}/`;
  const parsed = parseManifestPath(`${directory}modelgate.json`);
  if (!parsed) {
    throw new ArtifactError(`artifact URI ${uri} is not a models/<model>/<commit>/ directory`);
  }
  return { bucket, ...parsed, uri: `gs://${bucket}/${directory}` };
}

/** What the bucket says about an artifact, after checking it against what the event claimed. */
export interface VerifiedArtifact {
  manifest: Manifest;
  /** Object name and generation of the modelgate.json that was read. */
  objectName: string;
  generation: string;
}

/**
 * Re-reads `models/<model>/<commit>/modelgate.json` from the bucket (the event is only a hint) and checks it
 * names the same model, commit (full or abbreviated, as a prefix) and repository. Anything missing, malformed or
 * different is a permanent ArtifactError; a failing read passes through (retryable).
 */
export async function readVerifiedManifest(
  blobs: BlobStore,
  expected: { model: string; commit: string; repository: string },
): Promise<VerifiedArtifact> {
  const objectName = manifestPath(expected.model, expected.commit);
  const stored = await blobs.read(objectName);
  if (!stored) throw new ArtifactError(`no modelgate.json at gs://${blobs.bucket}/${objectName}`);
  let manifest: Manifest;
  try {
    manifest = parseManifest(JSON.parse(stored.data.toString("utf8")));
  } catch (error) {
    const detail = error instanceof ManifestError ? error.message : `not JSON: ${(error as Error).message}`;
    throw new ArtifactError(`gs://${blobs.bucket}/${objectName} is not a valid manifest: ${detail}`, {
      cause: error,
      details: { objectName, generation: stored.generation },
    });
  }
  const mismatches: string[] = [];
  if (manifest.model !== expected.model)
    mismatches.push(`model "${manifest.model}" (expected "${expected.model}")`);
  if (!sameCommit(manifest.commit, expected.commit))
    mismatches.push(`commit ${manifest.commit} (expected ${expected.commit})`);
  if (!sameRepository(manifest.repository, expected.repository))
    mismatches.push(`repository ${manifest.repository} (expected ${expected.repository})`);
  if (mismatches.length > 0) {
    throw new ArtifactError(
      `gs://${blobs.bucket}/${objectName} names ${mismatches.join(", ")}: the event and the bucket disagree`,
      { details: { objectName, generation: stored.generation } },
    );
  }
  return { manifest, objectName, generation: stored.generation };
}
