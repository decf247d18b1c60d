import { TransientError } from "./errors.js";
import type { BlobStore } from "./ports.js";

/**
 * What registerModel writes under `registry/<model>/` so CI (Tekton, GitHub Actions) can learn which Vertex AI
 * model version a commit became without any Vertex AI rights: one record per commit and one index per model.
 */
export interface Registration {
  model: string;
  commit: string;
  repository: string;
  /** `projects/…/models/<id>` */
  modelResource: string;
  versionId: string;
  aliases: string[];
  artifactUri: string;
  correlationId: string;
  registeredAt: string;
  metrics: Record<string, number>;
}

/** One line of a model's index. */
export interface RegistryIndexEntry {
  commit: string;
  versionId: string;
  modelResource: string;
  registeredAt: string;
}

export interface RegistryIndex {
  model: string;
  /** Ordered by version id. */
  versions: RegistryIndexEntry[];
  updatedAt: string;
}

/** `registry/<model>/<commit>.json` */
export function registrationPath(model: string, commit: string): string {
  return `registry/${model}/${commit}.json`;
}

/** `registry/<model>/versions.json` */
export function registryIndexPath(model: string): string {
  return `registry/${model}/versions.json`;
}

/** Writes (or rewrites, for a repeat) the record of one commit's registration. */
export async function writeRegistration(blobs: BlobStore, registration: Registration): Promise<string> {
  const written = await blobs.write(
    registrationPath(registration.model, registration.commit),
    `${JSON.stringify(registration, null, 2)}\n`,
    { contentType: "application/json" },
  );
  // Without a precondition the write always happens; the type says otherwise only for conditional writes.
  return written.written ? written.generation : "";
}

/** A model's registry index, or an empty one when nothing was registered yet. */
export async function readRegistryIndex(
  blobs: BlobStore,
  model: string,
): Promise<{ index: RegistryIndex; generation: string }> {
  const found = await blobs.read(registryIndexPath(model));
  if (!found) return { index: { model, versions: [], updatedAt: "" }, generation: "0" };
  return { index: JSON.parse(found.data.toString("utf8")) as RegistryIndex, generation: found.generation };
}

/**
 * Adds (or updates) one commit's line in the model's index. Concurrent registrations of different commits each
 * read the index, change it and write it back only if nobody wrote in between (`ifGenerationMatch`); a loser
 * re-reads and tries again, so no line is ever lost. Resolves without writing when the line is already there.
 */
export async function addToRegistryIndex(
  blobs: BlobStore,
  model: string,
  entry: RegistryIndexEntry,
  options: { maxAttempts?: number; now?: () => Date; pause?: (attempt: number) => Promise<void> } = {},
): Promise<{ written: boolean; attempts: number }> {
  const maxAttempts = options.maxAttempts ?? 20;
  const now = options.now ?? (() => new Date());
  const pause = options.pause ?? jitteredPause;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { index, generation } = await readRegistryIndex(blobs, model);
    const current = index.versions.find((line) => line.commit === entry.commit);
    if (current && current.versionId === entry.versionId && current.modelResource === entry.modelResource) {
      return { written: false, attempts: attempt };
    }
    const versions = [...index.versions.filter((line) => line.commit !== entry.commit), entry].sort(
      (a, b) => Number(a.versionId) - Number(b.versionId) || (a.commit < b.commit ? -1 : 1),
    );
    const next: RegistryIndex = { model, versions, updatedAt: now().toISOString() };
    const written = await blobs.write(registryIndexPath(model), `${JSON.stringify(next, null, 2)}\n`, {
      contentType: "application/json",
      ifGenerationMatch: generation,
    });
    if (written.written) return { written: true, attempts: attempt };
    await pause(attempt);
  }
  throw new TransientError(
    `could not update ${registryIndexPath(model)} after ${maxAttempts} attempts: other registrations kept writing it`,
  );
}

/** Random pauses that grow with each attempt, so racing writers fall out of step. */
async function jitteredPause(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(1000, 20 * 2 ** attempt);
  await new Promise((resolve) => setTimeout(resolve, ms));
}
