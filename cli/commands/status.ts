import { endpointName } from "../../shared/config.js";
import { readRegistryIndex } from "../../shared/registry-index.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { cliContext, cliVertexLocation } from "../cli-runtime.js";
import type { Command } from "../command.js";
import { chosenModels } from "../model-args.js";
import { lastVerdict, renderStatus, servingRows } from "../status-view.js";

export const status: Command = {
  path: ["status"],
  summary: "what each model's endpoint serves now: versions, commits, traffic shares, last verdict",
  usage: "usage: modelgate status [<model>] [--json]",
  options: { json: { type: "boolean" } },
  async run({ values, positionals }, io) {
    const context = cliContext(io.env);
    const { config } = context;
    const models = chosenModels(config, positionals, io.err);
    if (!models) return 2;
    const endpoints = new VertexEndpointDeployer(cliVertexLocation(context));
    const report: Array<{ model: string; endpoint: string; serving: ReturnType<typeof servingRows> }> = [];
    try {
      for (const model of models) {
        const endpoint = endpointName(config, model);
        const state = await endpoints.getEndpoint(endpoint);
        const { index } = await readRegistryIndex(context.blobs, model);
        const verdicts = new Map<string, string>();
        for (const deployed of state.deployedModels) {
          const commit = index.versions.find((v) => v.versionId === deployed.versionId)?.commit;
          if (commit && !verdicts.has(commit))
            verdicts.set(commit, lastVerdict(await context.ledger.read(model, commit)));
        }
        report.push({
          model,
          endpoint,
          serving: servingRows(state, index.versions, (c) => verdicts.get(c) ?? "-"),
        });
      }
    } finally {
      await endpoints.close();
    }
    if (values.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
    else for (const r of report) io.out(renderStatus(r.model, r.endpoint, r.serving));
    return 0;
  },
};
