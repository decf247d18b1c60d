import { findModelConfig } from "../../shared/config.js";
import { cliContext } from "../cli-runtime.js";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { groupByCommit, isReadOnly, renderLineage } from "../lineage-view.js";

export const lineage: Command = {
  path: ["lineage"],
  summary: "commit → training job → model version → deployment → verification → rollout, from the ledger",
  usage:
    "usage: modelgate lineage <model> [--commit SHA] [--json] [--all]\n\n  --all  also show the reads and lists each step made (hidden by default; always in --json)",
  options: { commit: { type: "string" }, json: { type: "boolean" }, all: { type: "boolean" } },
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
    const entries = await context.ledger.read(model, commit);
    const lineages = groupByCommit(entries);
    if (values.json) {
      io.out(`${JSON.stringify({ model, commits: lineages }, null, 2)}\n`);
      return 0;
    }
    const shown = values.all
      ? lineages
      : lineages.map((l) => ({ ...l, entries: l.entries.filter((e) => !isReadOnly(e)) }));
    io.out(renderLineage(model, shown));
    return 0;
  },
};
