import { sameCommit } from "./commit.js";
import { Label, type ModelVersion } from "./model-ports.js";
import { labelValue } from "./vertex/labels.js";

/**
 * A model's versions registered for a commit, whatever form of it each was labelled with: the label filter finds
 * the form given; failing that, every version is listed and compared with `sameCommit`, so a promotion naming the
 * 40-digit SHA finds a version registered from a short one and the other way round. `list` lists the model's
 * versions with these labels (an empty set lists them all).
 */
export async function versionsOfCommit(
  commit: string,
  list: (labels: Record<string, string>) => Promise<ModelVersion[]>,
): Promise<ModelVersion[]> {
  const exact = await list({ [Label.commit]: labelValue(commit) });
  if (exact.length > 0) return exact;
  const all = await list({});
  return all.filter((version) => sameCommit(version.labels[Label.commit] ?? "", commit));
}
