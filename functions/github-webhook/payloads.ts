import * as z from "zod";

/**
 * The parts of GitHub webhook payloads modelgate reads
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads). Unknown fields are kept and ignored.
 */
const Repository = z.looseObject({
  full_name: z.string().min(1),
  default_branch: z.string().min(1).optional(),
});

const Account = z.looseObject({ login: z.string().min(1) });

const PushCommit = z.looseObject({
  id: z.string(),
  added: z.array(z.string()).default([]),
  modified: z.array(z.string()).default([]),
  removed: z.array(z.string()).default([]),
});

/** Any event: a repository when the hook belongs to one, and who caused it. */
export const AnyEventPayload = z.looseObject({
  repository: Repository.optional(),
  sender: Account.optional(),
});

export const PushPayload = z.looseObject({
  ref: z.string().min(1),
  before: z.string(),
  after: z.string(),
  created: z.boolean().default(false),
  deleted: z.boolean().default(false),
  forced: z.boolean().default(false),
  /** At most 2048 commits: GitHub truncates longer pushes. */
  commits: z.array(PushCommit).default([]),
  /** The commit `after` is or (for an annotated tag) points to; null when the ref was deleted. */
  head_commit: z.looseObject({ id: z.string() }).nullable().default(null),
  repository: Repository.extend({
    /** When the push happened: Unix seconds in push events (an ISO date in other events). */
    pushed_at: z.union([z.number().int().min(0).max(1e11), z.iso.datetime({ offset: true })]).optional(),
  }),
  sender: Account.optional(),
});
export type PushPayload = z.infer<typeof PushPayload>;

export const PingPayload = z.looseObject({
  zen: z.string().optional(),
  hook_id: z.number().optional(),
});

/** GitHub truncates `commits` at this many entries, so a push this long may have touched more files than listed. */
export const maxPushCommits = 2048;
