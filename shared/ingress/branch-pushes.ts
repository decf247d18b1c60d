import * as z from "zod";
import { ValidationError } from "../errors.js";
import { Prefix } from "../permissions.js";
import type { BlobStore } from "../ports.js";

/**
 * The commits githubWebhook saw pushed to a model's branch, one create-only object each under
 * `pushes/<model>/<full sha>.json`. tektonEvents asks for training only of a commit found here: ingress cannot ask
 * GitHub whether a commit is on a branch (no network, no token), but it has seen every signed push to that branch.
 */
export const BranchPush = z.strictObject({
  model: z.string(),
  commit: z.string(),
  ref: z.string(),
  deliveryId: z.string(),
  recordedAt: z.string(),
});
export type BranchPush = z.infer<typeof BranchPush>;

/** Whether `commit` is a full 40-digit SHA, the only form pushes are noted and looked up under. */
export function isFullCommitSha(commit: string): boolean {
  return /^[0-9a-f]{40}$/.test(commit);
}

function branchPushObject(model: string, commit: string): string {
  return `${Prefix.pushes}${model}/${commit}.json`;
}

/** Notes that `commit` was pushed to the model's branch; a commit already noted keeps its first record. */
export async function recordBranchPush(blobs: BlobStore, push: BranchPush): Promise<void> {
  if (!isFullCommitSha(push.commit)) {
    throw new ValidationError(`a branch push is noted by its full commit SHA, not ${push.commit}`);
  }
  await blobs.write(branchPushObject(push.model, push.commit), JSON.stringify(push), {
    contentType: "application/json",
    ifGenerationMatch: "0",
  });
}

/** The record of `commit` pushed to the model's branch, or null when githubWebhook never saw such a push. */
export async function findBranchPush(
  blobs: BlobStore,
  model: string,
  commit: string,
): Promise<BranchPush | null> {
  if (!isFullCommitSha(commit)) return null;
  const found = await blobs.read(branchPushObject(model, commit));
  if (found === null) return null;
  try {
    const parsed = BranchPush.safeParse(JSON.parse(found.data.toString("utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
