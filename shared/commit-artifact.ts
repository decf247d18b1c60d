import { sameCommit } from "./commit.js";
import { ArtifactError } from "./errors.js";
import { manifestPath } from "./manifest.js";
import type { BlobStore, StoredObject } from "./ports.js";

/**
 * A commit's modelgate.json, whatever form of the commit its directory is named by: `models/<model>/<commit>/` first,
 * else a directory whose name `sameCommit` accepts (the run that trained a full SHA may have written under a short
 * one, and the other way round). Null when there is none; an ArtifactError when a short SHA matches the
 * directories of two different commits.
 */
export async function readCommitManifest(
  blobs: BlobStore,
  model: string,
  commit: string,
): Promise<{ name: string; object: StoredObject } | null> {
  const exact = manifestPath(model, commit);
  const found = await blobs.read(exact);
  if (found) return { name: exact, object: found };
  // Every form of the commit starts with its first 7 digits, so one listing holds every candidate directory.
  const base = `models/${model}/`;
  const directories = new Set<string>();
  for (const { name } of await blobs.list(`${base}${commit.slice(0, 7)}`)) {
    const [directory, file, ...rest] = name.slice(base.length).split("/");
    if (directory && file === "modelgate.json" && rest.length === 0 && sameCommit(directory, commit)) {
      directories.add(directory);
    }
  }
  const candidates = [...directories].sort((a, b) => b.length - a.length);
  const [fullest] = candidates;
  if (fullest === undefined) return null;
  if (candidates.some((directory) => !sameCommit(directory, fullest))) {
    throw new ArtifactError(`${commit} is ambiguous: models/${model}/ holds ${candidates.join(", ")}`, {
      details: { model, commit, directories: candidates },
    });
  }
  const name = manifestPath(model, fullest);
  const object = await blobs.read(name);
  return object ? { name, object } : null;
}
