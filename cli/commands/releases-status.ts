import { endpointName } from "../../shared/config.js";
import { NotFoundError } from "../../shared/errors.js";
import { productionAlias } from "../../shared/model-ports.js";
import { readRegistryIndex } from "../../shared/registry-index.js";
import { readAppliedRelease, servingRelease } from "../../shared/releases/applied-release.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { cliContext, cliVertexLocation } from "../cli-runtime.js";
import type { Command } from "../command.js";
import { chosenModels } from "../model-args.js";
import { compareRelease, type ReleaseStatus, renderReleaseStatus } from "../releases-view.js";
import { servingRows } from "../status-view.js";
import { type ReconcileColumns, reconcileColumns, renderReconcileColumns } from "./releases-reconcile.js";

export const releasesStatus: Command = {
  path: ["releases", "status"],
  summary:
    "each model's declared release against what its endpoint serves, last reconcile and open drift; exit 1 when they differ or drift is open",
  usage: "usage: modelgate releases status [<model>] [--json]",
  options: { json: { type: "boolean" } },
  async run({ values, positionals }, io) {
    const context = cliContext(io.env);
    const { config } = context;
    const models = chosenModels(config, positionals, io.err);
    if (!models) return 2;
    const location = cliVertexLocation(context);
    const endpoints = new VertexEndpointDeployer(location);
    const registry = new VertexModelRegistry(location);
    const report: (ReleaseStatus & ReconcileColumns)[] = [];
    try {
      for (const model of models) {
        const state = await endpoints.getEndpoint(endpointName(config, model));
        const { index } = await readRegistryIndex(context.blobs, model);
        const applied = (await readAppliedRelease(context.blobs, model))?.applied ?? null;
        const modelResource = index.versions[0]?.modelResource;
        const alias = modelResource
          ? await registry.getVersion(modelResource, productionAlias).then(
              (version) => version.versionId,
              (error: unknown) => {
                if (error instanceof NotFoundError || (error as { code?: number }).code === 5) return null;
                throw error;
              },
            )
          : null;
        const status = compareRelease(
          model,
          applied,
          servingRows(state, index.versions, () => "-"),
          alias,
        );
        // reconcileEndpoints records under the commit that serves (else the one applied).
        const commit = applied ? (servingRelease(applied)?.release.commit ?? applied.release.commit) : null;
        const columns = reconcileColumns(commit ? await context.ledger.read(model, commit) : []);
        report.push({ ...status, ...columns });
      }
    } finally {
      await Promise.allSettled([endpoints.close(), registry.close()]);
    }
    if (values.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
    else for (const status of report) io.out(renderReleaseStatus(status) + renderReconcileColumns(status));
    return report.some((status) => status.differences.length > 0 || status.drift !== null) ? 1 : 0;
  },
};
