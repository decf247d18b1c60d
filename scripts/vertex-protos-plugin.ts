// An esbuild plugin that gives each Vertex AI service client only the protos its service needs. Every client
// module of @google-cloud/aiplatform requires the package's whole `protos/protos.json` (4 MB: every service of
// v1 and v1beta1) and builds a protobuf Root and a gRPC package definition from all of it when constructed,
// which takes about 1.8 s on a 2-core machine. A client only ever looks up its own service, its request,
// response and long-running-operation types (`google.longrunning.operation_info`), so the bundle gets, per
// client module, the transitive closure of those types and nothing else.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Plugin } from "esbuild";
import { type JsonNamespace, trimProtos } from "./trim-protos.js";

const require = createRequire(import.meta.url);
const namespace = "modelgate-vertex-protos";

// Shared by every build in the process (`npm run build` bundles eight functions).
let full: JsonNamespace | undefined;
const trimmed = new Map<string, string>();

/** `build/src/v1/endpoint_service_client.js` → `google.cloud.aiplatform.v1.EndpointService`. */
export function serviceOfClient(clientPath: string): string | undefined {
  const match = /[\\/]build[\\/]src[\\/](v1|v1beta1)[\\/]([a-z_]+)_client\.js$/.exec(clientPath);
  if (!match?.[1] || !match[2]) return undefined;
  const pascal = match[2]
    .split("_")
    .map((part) => (part[0] ?? "").toUpperCase() + part.slice(1))
    .join("");
  return `google.cloud.aiplatform.${match[1]}.${pascal}`;
}

/**
 * Replaces `require("../../protos/protos.json")` in each @google-cloud/aiplatform service client module with the
 * protos that client's service needs. Other importers of protos.json (the package index) keep the whole file.
 */
export function vertexProtosPlugin(): Plugin {
  return {
    name: "modelgate-vertex-protos",
    setup(build) {
      build.onResolve({ filter: /protos\/protos\.json$/ }, (args) => {
        const service = serviceOfClient(args.importer);
        if (!service || !args.importer.includes("@google-cloud/aiplatform")) return undefined;
        return { path: service, namespace };
      });
      build.onLoad({ filter: /.*/, namespace }, (args) => {
        let contents = trimmed.get(args.path);
        if (contents === undefined) {
          full ??= JSON.parse(
            readFileSync(
              join(
                dirname(require.resolve("@google-cloud/aiplatform/package.json")),
                "build/protos/protos.json",
              ),
              "utf8",
            ),
          ) as JsonNamespace;
          contents = JSON.stringify(trimProtos(full, [args.path]));
          trimmed.set(args.path, contents);
        }
        return { contents, loader: "json" };
      });
    },
  };
}
