// An esbuild plugin that gives @google-cloud/pubsub's generated PublisherClient only the protos the Publisher
// service needs. Its module requires the package's whole `protos/protos.json` (the Publisher, Subscriber and
// SchemaService services) and builds a protobuf Root and a gRPC package definition from all of it when
// constructed; the publisher (shared/pubsub-publisher.ts) loads that module alone, so its bundle gets the
// Publisher service's closure instead (docs/decisions.md, "Split bundles").
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Plugin } from "esbuild";
import { type JsonNamespace, trimProtos } from "./trim-protos.js";

const require = createRequire(import.meta.url);
const namespace = "modelgate-pubsub-publisher-protos";
const publisherClient = /[\\/]@google-cloud[\\/]pubsub[\\/]build[\\/]src[\\/]v1[\\/]publisher_client\.js$/;
export const publisherService = "google.pubsub.v1.Publisher";

// Shared by every build in the process (`npm run build` bundles every function).
let trimmed: string | undefined;

/** The Publisher service's part of @google-cloud/pubsub's protos.json, as JSON text. */
export function publisherProtos(): string {
  trimmed ??= JSON.stringify(
    trimProtos(
      JSON.parse(
        readFileSync(
          join(dirname(require.resolve("@google-cloud/pubsub/package.json")), "build/protos/protos.json"),
          "utf8",
        ),
      ) as JsonNamespace,
      [publisherService],
    ),
  );
  return trimmed;
}

/**
 * Replaces `require("../../protos/protos.json")` in @google-cloud/pubsub's `v1/publisher_client.js` with the
 * Publisher service's protos. Other importers (the subscriber and schema clients, were they bundled) keep the file.
 */
export function pubsubProtosPlugin(): Plugin {
  return {
    name: namespace,
    setup(build) {
      build.onResolve({ filter: /protos\/protos\.json$/ }, (args) =>
        publisherClient.test(args.importer) ? { path: publisherService, namespace } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace }, () => ({ contents: publisherProtos(), loader: "json" }));
    },
  };
}
