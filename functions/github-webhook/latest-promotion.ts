import { createHash } from "node:crypto";
import * as z from "zod";
import { TransientError } from "../../shared/errors.js";
import { Prefix } from "../../shared/permissions.js";
import type { BlobStore } from "../../shared/ports.js";

const LatestPromotion = z.object({
  tag: z.string(),
  commit: z.string(),
  after: z.string(),
  pushedAt: z.string(),
  deliveryId: z.string(),
});
type LatestPromotion = z.infer<typeof LatestPromotion>;

export interface PromotionClaim {
  model: string;
  tag: string;
  commit: string;
  after: string;
  pushedAt: Date;
  deliveryId: string;
}

/**
 * Admits a promotion only if its tag push is newer than the latest one acted on for that model and tag, and
 * records it as the latest (compare-and-swap on the object's generation, so of two racing copies one wins).
 * GitHub signs the body but not X-GitHub-Delivery, so a captured tag push re-sent under a new delivery id carries
 * the same `repository.pushed_at` and is refused here; a redelivery of the same delivery (a retry after a
 * transient failure) is admitted again. Resolves with the refusal's reason, or undefined when admitted.
 */
export async function admitPromotion(blobs: BlobStore, claim: PromotionClaim): Promise<string | undefined> {
  const name = `${Prefix.promotions}${claim.model}/${createHash("sha256").update(claim.tag).digest("hex")}.json`;
  const mine: LatestPromotion = {
    tag: claim.tag,
    commit: claim.commit,
    after: claim.after,
    pushedAt: claim.pushedAt.toISOString(),
    deliveryId: claim.deliveryId,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await blobs.read(name);
    const latest = found === null ? undefined : readLatest(found.data);
    if (latest !== undefined) {
      if (latest.deliveryId === mine.deliveryId && latest.pushedAt === mine.pushedAt) return undefined;
      if (new Date(latest.pushedAt).getTime() >= claim.pushedAt.getTime()) {
        return `tag ${claim.tag} was pushed at ${mine.pushedAt}, not after the push of ${latest.pushedAt} already acted on (delivery ${latest.deliveryId}): a replayed or out-of-order delivery`;
      }
    }
    const written = await blobs.write(name, JSON.stringify(mine), {
      contentType: "application/json",
      ifGenerationMatch: found?.generation ?? "0",
    });
    if (written.written) return undefined;
  }
  throw new TransientError(
    `the latest promotion of ${claim.model} tag ${claim.tag} kept changing; try again`,
  );
}

function readLatest(data: Buffer): LatestPromotion | undefined {
  try {
    const parsed = LatestPromotion.safeParse(JSON.parse(data.toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
