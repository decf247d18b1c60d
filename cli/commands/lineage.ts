import { findModelConfig } from "../../shared/config.js";
import { cliContext } from "../cli-runtime.js";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { type CommitLineage, groupByCommit, isReadOnly, renderLineage } from "../lineage-view.js";

const defaultLimit = 20;
const maxLimit = 1000;

function parseLimit(value: unknown): number {
  if (value === undefined) return defaultLimit;
  const text = String(value);
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > maxLimit)
    throw new UsageError(`--limit must be a whole number from 1 to ${maxLimit}, got "${text}"`);
  return Number(text);
}

export const lineage: Command = {
  path: ["lineage"],
  summary: "commit → training job → model version → deployment → verification → rollout, from the ledger",
  usage:
    "usage: modelgate lineage <model> [--commit SHA] [--limit N] [--page-token TOKEN] [--json] [--all]\n\n" +
    "  --commit      one commit's records (read by its prefix: as fast with 10 commits as with 10,000)\n" +
    `  --limit       without --commit: this many commits, latest activity first (default ${defaultLimit}, at most ${maxLimit})\n` +
    "  --page-token  the next page, as the previous page's last line names it\n" +
    "  --all         also show the reads and lists each step made (hidden by default; always in --json)",
  options: {
    commit: { type: "string" },
    limit: { type: "string" },
    "page-token": { type: "string" },
    json: { type: "boolean" },
    all: { type: "boolean" },
  },
  async run({ values, positionals }, io) {
    const model = positionals[0];
    if (!model) throw new UsageError(`name the model\n\n${this.usage}`);
    const context = cliContext(io.env);
    if (!findModelConfig(context.config, model)) {
      io.err(
        `model "${model}" is not configured (models: ${Object.keys(context.config.models).join(", ")})\n`,
      );
      return 2;
    }
    const commit = typeof values.commit === "string" ? values.commit : undefined;
    const pageToken = typeof values["page-token"] === "string" ? values["page-token"] : undefined;
    let lineages: CommitLineage[];
    let nextPageToken: string | undefined;
    if (commit !== undefined) {
      if (values.limit !== undefined || pageToken !== undefined)
        throw new UsageError(
          `--commit shows one commit: --limit and --page-token page the others\n\n${this.usage}`,
        );
      lineages = groupByCommit(await context.ledger.read(model, commit));
    } else {
      const page = await context.ledger.readCommitPage(model, {
        limit: parseLimit(values.limit),
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      lineages = page.commits;
      nextPageToken = page.nextPageToken;
    }
    if (values.json) {
      io.out(
        `${JSON.stringify({ model, commits: lineages, ...(nextPageToken ? { nextPageToken } : {}) }, null, 2)}\n`,
      );
      return 0;
    }
    const shown = values.all
      ? lineages
      : lineages.map((l) => ({ ...l, entries: l.entries.filter((e) => !isReadOnly(e)) }));
    io.out(renderLineage(model, shown));
    if (nextPageToken) io.out(`older commits: modelgate lineage ${model} --page-token ${nextPageToken}\n`);
    return 0;
  },
};
