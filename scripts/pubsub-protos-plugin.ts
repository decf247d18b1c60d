// An esbuild plugin that leaves @google-cloud/pubsub's generated static protos out of a bundle. The package's index
// requires `protos/protos.js` (3 MB of protobufjs static code, evaluated as the index loads) only to re-export it as
// `protos`; the library's own clients load their descriptors from `protos/protos.json`, and modelgate never reads
// the export. A function that publishes therefore gets an empty module in its place: ≈ 3 MB less to parse and
// evaluate on an instance's first publish (docs/performance.md, "Cold start").
import type { Plugin } from "esbuild";

const namespace = "modelgate-pubsub-static-protos";
const pubsubIndex = /[\\/]@google-cloud[\\/]pubsub[\\/]build[\\/]src[\\/]index\.js$/;

/** Replaces `require("../protos/protos")` in @google-cloud/pubsub's index with an empty module. */
export function pubsubStaticProtosPlugin(): Plugin {
  return {
    name: namespace,
    setup(build) {
      build.onResolve({ filter: /^\.\.\/protos\/protos$/ }, (args) =>
        pubsubIndex.test(args.importer) ? { path: "protos", namespace } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace }, () => ({ contents: "module.exports = {};", loader: "js" }));
    },
  };
}
