import { parse, YAMLError } from "yaml";
import * as z from "zod";
import { ValidationError } from "../errors.js";
import { FullCommitSha, ModelName } from "../names.js";
import { issuesToText } from "../zod-issues.js";

/** A releases file larger than this is refused unread: a few lines per model. */
export const releasesFileMaxBytes = 64 * 1024;
/** At most this many entries: more is not a releases file. */
const maxEntries = 500;

const Entry = z
  .strictObject({
    commit: FullCommitSha.optional(),
    /** A tag (`promote/churn/v3`) that names the commit. */
    tag: z.string().min(1).max(256).optional(),
    /** The canary share for this release; without it, the model's `canary.trafficPercent`. */
    canary: z.coerce.number<string>("a whole percentage").int().min(1).max(99).optional(),
  })
  .refine((entry) => (entry.commit === undefined) !== (entry.tag === undefined), {
    message: "name exactly one of `commit` (a full 40-digit SHA) or `tag`",
  });

/** One entry as the file states it. */
export type ReleaseEntry = { model: string } & z.infer<typeof Entry>;

/** An entry that cannot be applied, and why, in words that name it. */
export interface EntryProblem {
  entry: string;
  message: string;
}

export interface ReleasesFile {
  entries: ReleaseEntry[];
  problems: EntryProblem[];
}

/**
 * Parses a releases file (`releases: { <model>: { commit | tag, canary? } }`). A file that is not YAML or not that
 * shape is a ValidationError naming `path`; each bad entry becomes a problem naming it while the good ones parse.
 */
export function parseReleasesFile(text: string, path: string): ReleasesFile {
  let document: unknown;
  try {
    // Every scalar read as text (YAML's failsafe schema): a SHA of digits, or digits with one `e`, would otherwise
    // be read as a number and lose its digits. Bounded aliases: a "billion laughs" document is refused.
    document = parse(text, { schema: "failsafe", maxAliasCount: 100, uniqueKeys: true, prettyErrors: false });
  } catch (error) {
    // YAMLError for bad syntax; the alias bound throws a ReferenceError ("Excessive alias count…").
    if (!(error instanceof YAMLError) && !(error instanceof ReferenceError)) throw error;
    throw new ValidationError(`${path} is not YAML: ${error.message.split("\n")[0]}`, [], { cause: error });
  }
  const top = z
    // An empty `releases:` reads as "" in the failsafe schema: no releases.
    .strictObject({ releases: z.union([z.record(z.string(), z.unknown()), z.literal("")]) })
    .safeParse(document);
  if (!top.success) {
    throw new ValidationError(`${path} must be a map with one key, \`releases\`: ${issuesToText(top.error)}`);
  }
  const declared = Object.entries(top.data.releases === "" ? {} : top.data.releases);
  if (declared.length > maxEntries) {
    throw new ValidationError(`${path} declares ${declared.length} releases; at most ${maxEntries} are read`);
  }
  const file: ReleasesFile = { entries: [], problems: [] };
  for (const [model, value] of declared) {
    const name = ModelName.safeParse(model);
    const entry = Entry.safeParse(value);
    if (!name.success) file.problems.push({ entry: model, message: `"${model}" is not a model name` });
    else if (!entry.success) {
      file.problems.push({ entry: model, message: `releases.${model}: ${issuesToText(entry.error)}` });
    } else file.entries.push({ model, ...entry.data });
  }
  return file;
}
