/**
 * Traffic-split arithmetic for canary deployments, kept pure so it can be tested exhaustively. A split maps a
 * deployed model id to a whole percentage; Vertex AI accepts a split only when its values add up to exactly 100
 * (or it is empty: the endpoint takes no traffic).
 */

export type TrafficSplit = Record<string, number>;

/** The split with zero shares dropped: Vertex treats an absent id and a 0% id alike. */
export function servingShares(split: TrafficSplit): TrafficSplit {
  return Object.fromEntries(Object.entries(split).filter(([, percent]) => percent > 0));
}

/** The sum of a split's percentages. */
export function totalShare(split: TrafficSplit): number {
  return Object.values(split).reduce((sum, percent) => sum + percent, 0);
}

/** Whether two splits route traffic the same way (zero shares are the same as absent ones). */
export function sameRouting(a: TrafficSplit, b: TrafficSplit): boolean {
  const left = servingShares(a);
  const right = servingShares(b);
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((id) => left[id] === right[id]);
}

/** Why a split is not one Vertex AI would accept, or null when it is (whole 0–100 shares adding up to 100, or empty). */
export function splitProblem(split: TrafficSplit): string | null {
  const entries = Object.entries(split);
  if (entries.length === 0) return null;
  for (const [id, percent] of entries) {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
      return `deployed model ${id} has ${percent}%; shares are whole numbers from 0 to 100`;
    }
  }
  const sum = totalShare(split);
  return sum === 100 ? null : `shares add up to ${sum}, not 100`;
}

/**
 * The split that gives `candidateId` exactly `percent` and the rest to the models that served before, each in
 * proportion to its previous share. Shares are whole numbers by the largest-remainder method (ties go to the larger
 * previous share, then the lower id, so the result is deterministic) and always add up to 100. With nothing serving
 * before, the candidate takes 100%: a first deployment has nobody to share with.
 */
export function canarySplit(previous: TrafficSplit, candidateId: string, percent: number): TrafficSplit {
  if (!Number.isInteger(percent) || percent < 1 || percent > 100) {
    throw new RangeError(`canary share must be a whole number from 1 to 100, got ${percent}`);
  }
  for (const [id, share] of Object.entries(previous)) {
    if (!Number.isInteger(share) || share < 0 || share > 100) {
      throw new RangeError(
        `previous traffic split gives ${id} ${share}%; shares are whole numbers from 0 to 100`,
      );
    }
  }
  // The candidate's own share, if it already had one, is replaced, not scaled.
  const { [candidateId]: _replaced, ...others } = servingShares(previous);
  const othersTotal = totalShare(others);
  if (othersTotal === 0 || percent === 100) return { [candidateId]: 100 };
  return { ...scaleShares(others, 100 - percent), [candidateId]: percent };
}

/**
 * Scales shares proportionally so they add up to `total`, as whole numbers, by the largest-remainder method.
 * Shares that round to 0 are left out.
 */
export function scaleShares(shares: TrafficSplit, total: number): TrafficSplit {
  const entries = Object.entries(servingShares(shares));
  const sum = entries.reduce((s, [, p]) => s + p, 0);
  if (sum === 0 || total === 0) return {};
  // Integer arithmetic throughout: remainders are compared exactly, so ties are real ties, not float noise.
  const exact = entries.map(([id, share]) => ({
    id,
    share,
    floor: Math.floor((share * total) / sum),
    remainder: (share * total) % sum,
  }));
  let left = total - exact.reduce((s, e) => s + e.floor, 0);
  const order = [...exact].sort(
    (a, b) => b.remainder - a.remainder || b.share - a.share || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  for (const entry of order) {
    if (left === 0) break;
    entry.floor += 1;
    left -= 1;
  }
  return Object.fromEntries(exact.filter((e) => e.floor > 0).map((e) => [e.id, e.floor]));
}

/** The split after a passed verification: everything to the candidate. */
export function promotedSplit(candidateId: string): TrafficSplit {
  return { [candidateId]: 100 };
}

/**
 * The split to restore after a failed verification: exactly the one recorded before the canary, without the
 * candidate (which had no share then unless it was already serving, in which case it is being withdrawn).
 * Empty when only the candidate was serving: a failed model must not keep serving alone.
 */
export function rollbackSplit(previous: TrafficSplit, candidateId: string): TrafficSplit {
  const { [candidateId]: withdrawn, ...others } = servingShares(previous);
  if (withdrawn === undefined) return others;
  // The candidate held part of the previous split: hand its share to the others in proportion.
  return scaleShares(others, totalShare(others) === 0 ? 0 : 100);
}

/** The split that remains once `deployedModelId` is undeployed; it must already have no share. */
export function splitWithout(split: TrafficSplit, deployedModelId: string): TrafficSplit {
  const { [deployedModelId]: share, ...rest } = split;
  if (share !== undefined && share > 0) {
    throw new RangeError(`deployed model ${deployedModelId} still has ${share}% of the traffic`);
  }
  return rest;
}

/** The deployed model with the largest share (ties: lowest id), i.e. the one that is "the serving version". */
export function dominantModel(split: TrafficSplit): string | undefined {
  const entries = Object.entries(servingShares(split));
  entries.sort(([a, p], [b, q]) => q - p || (a < b ? -1 : a > b ? 1 : 0));
  return entries[0]?.[0];
}
