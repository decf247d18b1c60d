import * as z from "zod";
import { TransientError, ValidationError } from "../errors.js";
import { FullCommitSha, ModelName, RepositoryName } from "../names.js";
import type { BlobStore } from "../ports.js";
import { issuesToText } from "../zod-issues.js";

/** Where a model's applied release lives in the artifact bucket. */
export const appliedReleasePrefix = "releases/";

/** `releases/<model>.json` */
export function appliedReleasePath(model: string): string {
  return `${appliedReleasePrefix}${model}.json`;
}

/** What a releases file declares for one model, its tag resolved to the commit it named. */
export const DeclaredRelease = z.strictObject({
  commit: FullCommitSha,
  /** The tag the file named instead of a commit, if it did. */
  tag: z.string().min(1).max(256).optional(),
  canaryPercent: z.number().int().min(1).max(99).optional(),
});
export type DeclaredRelease = z.infer<typeof DeclaredRelease>;

/** Who declared a release: the commit of the releases file, and its provenance on GitHub when known. */
export const ReleaseDeclaration = z.strictObject({
  repository: RepositoryName,
  /** The commit whose releases file declared the release. */
  commit: FullCommitSha,
  /** The releases file's path in the repository. */
  path: z.string().min(1).max(1024),
  trigger: z.enum(["github-push", "flux", "manual"]),
  /** The GitHub login of the commit's author (or its git author name when GitHub knows no login). */
  author: z.string().min(1).max(256).optional(),
  /** The merged pull request that brought the commit, with who merged and who approved it. */
  pullRequest: z
    .strictObject({
      number: z.number().int().min(1),
      mergedBy: z.string().min(1).max(256).optional(),
      approvers: z.array(z.string().min(1).max(256)).max(100),
    })
    .optional(),
  /** When the declaration was applied (ISO 8601). */
  at: z.iso.datetime({ offset: true }),
});
export type ReleaseDeclaration = z.infer<typeof ReleaseDeclaration>;

export const ReleaseState = { requested: "requested", serving: "serving", failed: "failed" } as const;
export type ReleaseState = (typeof ReleaseState)[keyof typeof ReleaseState];

/** A release that served: kept when a newer one is requested, so a failed newer one still says what serves. */
const ServingRelease = z.strictObject({
  release: DeclaredRelease,
  declaredBy: ReleaseDeclaration,
  versionId: z.string().min(1).optional(),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type ServingRelease = z.infer<typeof ServingRelease>;

/**
 * A model's applied release, `releases/<model>.json`: written "requested" by applyReleases when it asks for the
 * deployment, then "serving" or "failed" (with the reason) by rolloutModel. The reconcile reads it without GitHub.
 */
export const AppliedRelease = z.strictObject({
  schemaVersion: z.literal(1),
  model: ModelName,
  release: DeclaredRelease,
  declaredBy: ReleaseDeclaration,
  state: z.enum(ReleaseState),
  /** The Model Registry version the release's commit became, once known. */
  versionId: z.string().min(1).optional(),
  /** Why the release failed (state "failed"). */
  reason: z.string().max(2048).optional(),
  updatedAt: z.iso.datetime({ offset: true }),
  /** The release that served before this one was requested, while this one is not (yet) serving. */
  lastServing: ServingRelease.optional(),
});
export type AppliedRelease = z.infer<typeof AppliedRelease>;

/** The release the endpoint should serve: the current one once serving, else the last one that served, if any. */
export function servingRelease(applied: AppliedRelease): ServingRelease | undefined {
  if (applied.state === ReleaseState.serving) {
    const { release, declaredBy, versionId, updatedAt } = applied;
    return { release, declaredBy, updatedAt, ...(versionId === undefined ? {} : { versionId }) };
  }
  return applied.lastServing;
}

/** Validates stored bytes; a corrupt object is a ValidationError naming it and each field at fault. */
export function parseAppliedRelease(name: string, data: Buffer | string): AppliedRelease {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === "string" ? data : data.toString("utf8"));
  } catch (error) {
    throw new ValidationError(`${name} is not JSON: ${(error as Error).message}`, [], { cause: error });
  }
  const result = AppliedRelease.safeParse(value);
  if (!result.success) {
    throw new ValidationError(`${name} is not an applied release: ${issuesToText(result.error)}`);
  }
  return result.data;
}

/** A model's applied release and the generation it was read at, or null when none was ever applied. */
export async function readAppliedRelease(
  blobs: BlobStore,
  model: string,
): Promise<{ applied: AppliedRelease; generation: string } | null> {
  const name = appliedReleasePath(model);
  const found = await blobs.read(name);
  return found ? { applied: parseAppliedRelease(name, found.data), generation: found.generation } : null;
}

/** Every model's applied release, by model name. */
export async function listAppliedReleases(blobs: BlobStore): Promise<AppliedRelease[]> {
  const listed = await blobs.list(appliedReleasePrefix);
  const found: AppliedRelease[] = [];
  for (const { name } of listed) {
    if (!name.endsWith(".json")) continue;
    const object = await blobs.read(name);
    if (object) found.push(parseAppliedRelease(name, object.data));
  }
  return found;
}

/**
 * Writes a model's applied release only if the stored one is still at `generation` ("0": only if there is none).
 * A concurrent writer in between is a retryable TransientError: the step is redelivered and decides again.
 */
export async function writeAppliedRelease(
  blobs: BlobStore,
  applied: AppliedRelease,
  generation: string,
): Promise<string> {
  const valid = AppliedRelease.parse(applied);
  const name = appliedReleasePath(valid.model);
  const written = await blobs.write(name, `${JSON.stringify(valid, null, 2)}\n`, {
    contentType: "application/json",
    ifGenerationMatch: generation,
  });
  if (!written.written) {
    throw new TransientError(`${name} changed while it was being updated; the step will decide again`, {
      details: { object: name, expectedGeneration: generation },
    });
  }
  return written.generation;
}
