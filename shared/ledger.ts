import { randomBytes } from "node:crypto";
import type { Cause } from "./contracts.js";
import { ValidationError } from "./errors.js";
import type { LedgerAction } from "./ledger-actions.js";
import type { BlobStore, Ledger, LedgerCommitPage } from "./ports.js";
import type { TopicName } from "./topology.js";

export const Outcome = {
  accepted: "accepted",
  refused: "refused",
  ignored: "ignored",
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** One audit record: which step did what, as whom, because of which event, with the full upstream response. */
export interface LedgerRecord {
  model: string;
  commit: string;
  /** Function name, e.g. "launchTraining". */
  step: string;
  /**
   * What happened inside the step: a `LedgerAction` (ledger-actions.ts), or the topic of a message an ingress
   * function published. Checked when written; a record read back keeps whatever string it holds.
   */
  action: LedgerAction | TopicName;
  outcome: Outcome;
  correlationId: string;
  causedBy: Cause[];
  /** The identity (service account) the step ran as. */
  identity?: string;
  /** The upstream responses and anything else worth keeping. */
  details?: Record<string, unknown>;
  error?: Record<string, unknown>;
}

export interface LedgerEntry extends Omit<LedgerRecord, "action"> {
  /** As written; a record from an earlier version may hold an action that is no longer named. */
  action: string;
  /** When the record was written (ISO 8601). */
  at: string;
  /** Object name in the bucket. */
  id: string;
}

/** Records whose model or commit is unknown (say, a message that failed its contract) go here. */
export const unattributed = "_unattributed";

/**
 * The audit ledger in the artifact bucket: one create-only object per record under
 * `ledger/<model>/<commit>/<time>-<step>-<random>.json`, so concurrent appends never overwrite each other and the
 * names sort in time order.
 */
export class BucketLedger implements Ledger {
  constructor(
    private readonly blobs: BlobStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async append(record: LedgerRecord): Promise<LedgerEntry> {
    const at = this.now().toISOString();
    const model = safeSegment(record.model);
    const commit = safeSegment(record.commit);
    for (;;) {
      const id = `ledger/${model}/${commit}/${at.replace(/[:.]/g, "")}-${safeSegment(record.step)}-${randomBytes(6).toString("hex")}.json`;
      const entry: LedgerEntry = { ...record, at, id };
      const written = await this.blobs.write(id, JSON.stringify(entry), {
        contentType: "application/json",
        ifGenerationMatch: "0",
      });
      if (written.written) return entry;
      // A name collision (48 random bits in the same millisecond): pick another name.
    }
  }

  async read(model: string, commit?: string): Promise<LedgerEntry[]> {
    const prefix =
      commit === undefined
        ? `ledger/${safeSegment(model)}/`
        : `ledger/${safeSegment(model)}/${safeSegment(commit)}/`;
    return this.readObjects((await this.blobs.list(prefix)).map((o) => o.name));
  }

  /**
   * Commits ordered by their latest record's name (the names start with the record's time), so the order comes
   * from one listing of names and only the page's records are read: listing grows with the model's records,
   * reading with the page. The token is the last commit shown, so appends meanwhile do not shift later pages.
   */
  async readCommitPage(
    model: string,
    page: { limit: number; pageToken?: string },
  ): Promise<LedgerCommitPage> {
    const prefix = `ledger/${safeSegment(model)}/`;
    const byCommit = new Map<string, { latest: string; names: string[] }>();
    for (const { name } of await this.blobs.list(prefix)) {
      const slash = name.indexOf("/", prefix.length);
      if (slash < 0) continue;
      const folder = name.slice(prefix.length, slash);
      const file = name.slice(slash + 1);
      const found = byCommit.get(folder);
      if (!found) byCommit.set(folder, { latest: file, names: [name] });
      else {
        found.names.push(name);
        if (file > found.latest) found.latest = file;
      }
    }
    const before = page.pageToken === undefined ? undefined : decodePageToken(page.pageToken);
    const keyOf = (folder: string) => `${byCommit.get(folder)?.latest ?? ""}\u0000${folder}`;
    const ordered = [...byCommit.keys()]
      .map((folder) => ({ folder, key: keyOf(folder) }))
      .filter(({ key }) => before === undefined || key < before)
      .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    const shown = ordered.slice(0, page.limit);
    const commits: LedgerCommitPage["commits"] = [];
    for (const { folder } of shown) {
      const entries = await this.readObjects(byCommit.get(folder)?.names ?? []);
      commits.push({ commit: entries[0]?.commit ?? folder, entries });
    }
    const last = shown.at(-1);
    return {
      commits,
      ...(ordered.length > shown.length && last ? { nextPageToken: encodePageToken(last.key) } : {}),
    };
  }

  private async readObjects(names: string[]): Promise<LedgerEntry[]> {
    const entries: LedgerEntry[] = [];
    // Bounded parallel reads: a commit's trail is tens of records, a model's may be thousands.
    for (let i = 0; i < names.length; i += 16) {
      const batch = await Promise.all(names.slice(i, i + 16).map((name) => this.blobs.read(name)));
      for (const found of batch)
        if (found) entries.push(JSON.parse(found.data.toString("utf8")) as LedgerEntry);
    }
    return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
  }
}

function encodePageToken(key: string): string {
  return Buffer.from(JSON.stringify({ before: key }), "utf8").toString("base64url");
}

function decodePageToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { before?: unknown };
    if (typeof parsed.before === "string") return parsed.before;
  } catch {
    // reported below
  }
  throw new ValidationError(`page token "${token.slice(0, 80)}" is not one this ledger gave out`);
}

function safeSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100);
  return cleaned === "" || cleaned === "." || cleaned === ".." ? unattributed : cleaned;
}
