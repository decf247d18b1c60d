import { cliContext } from "../cli-runtime.js";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { groupByCommit, renderLineage } from "../lineage-view.js";

export const lineage: Command = {
  path: ["lineage"],
  summary: "commit → training job → model version → deployment → verification → rollout, from the ledger",
  usage: "usage: modelgate lineage <model> [--commit SHA] [--json]",
  options: { commit: { type: "string" }, json: { type: "boolean" } },
  async run({ values, positionals }, io) {
    const model = positionals[0];
    if (!model) throw new UsageError(`name the model\n\n${this.usage}`);
    const context = cliContext(io.env);
    if (!context.config.models[model]) {
      io.err(
        `model "${model}" is not configured (models: ${Object.keys(context.config.models).join(", ")})\n`,
      );
      return 2;
    }
    const commit = typeof values.commit === "string" ? values.commit : undefined;
    const entries = await context.ledger.read(model, commit);
    const lineages = groupByCommit(entries);
    io.out(
      values.json
        ? `${JSON.stringify({ model, commits: lineages }, null, 2)}\n`
        : renderLineage(model, lineages),
    );
    return 0;
  },
};
