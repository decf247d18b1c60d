import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/** The Publisher and Subscriber service definitions, loaded from the protos the client library ships. */
export interface PubSubServiceDefinitions {
  publisher: grpc.ServiceDefinition;
  subscriber: grpc.ServiceDefinition;
}

// How decoded requests look to the handlers: camelCase fields, int64 as decimal strings, enums as
// names, and every field present (defaults) so handlers never have to tell "unset" from "zero".
const loaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: PubSubServiceDefinitions | undefined;

/** Loads (once) the google.pubsub.v1 services from the .proto files in @google-cloud/pubsub and google-gax. */
export function loadPubSubServices(): PubSubServiceDefinitions {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  // Both packages point `main` at build/src/index.js; their protos sit next to it in build/protos.
  const pubsubProtos = join(dirname(require.resolve("@google-cloud/pubsub")), "..", "protos");
  const gaxProtos = join(dirname(require.resolve("google-gax")), "..", "protos");
  const definition = protoLoader.loadSync("google/pubsub/v1/pubsub.proto", {
    ...loaderOptions,
    includeDirs: [pubsubProtos, gaxProtos],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    google: { pubsub: { v1: Record<string, { service: grpc.ServiceDefinition }> } };
  };
  const v1 = loaded.google.pubsub.v1;
  const publisher = v1.Publisher?.service;
  const subscriber = v1.Subscriber?.service;
  if (!publisher || !subscriber) {
    throw new Error("google/pubsub/v1/pubsub.proto did not define the Publisher and Subscriber services");
  }
  cached = { publisher, subscriber };
  return cached;
}
