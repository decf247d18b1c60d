import { randomBytes } from "node:crypto";
import type { Cause } from "./contracts.js";
import type { BlobStore, Ledger } from "./ports.js";

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
  /** What happened inside the step: one of the `LedgerAction` names in ledger-actions.ts. */
  action: string;
  outcome: Outcome;
  correlationId: string;
  causedBy: Cause[];
  /** The identity (service account) the step ran as. */
  identity?: string;
  /** The upstream responses and anything else worth keeping. */
  details?: Record<string, unknown>;
  error?: Record<string, unknown>;
}

export interface LedgerEntry extends LedgerRecord {
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
    const objects = await this.blobs.list(prefix);
    const entries: LedgerEntry[] = [];
    // Bounded parallel reads: a commit's trail is tens of records, a model's may be thousands.
    for (let i = 0; i < objects.length; i += 16) {
      const batch = await Promise.all(objects.slice(i, i + 16).map((o) => this.blobs.read(o.name)));
      for (const found of batch)
        if (found) entries.push(JSON.parse(found.data.toString("utf8")) as LedgerEntry);
    }
    return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
  }
}

function safeSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100);
  return cleaned === "" || cleaned === "." || cleaned === ".." ? unattributed : cleaned;
}
