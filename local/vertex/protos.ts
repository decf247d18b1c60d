import { accessSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { MessageTypeDefinition, PackageDefinition, ServiceDefinition } from "@grpc/proto-loader";
import { loadSync } from "@grpc/proto-loader";

const require = createRequire(import.meta.url);

/** The aiplatform v1 package prefix of every message and service this server speaks. */
export const v1 = "google.cloud.aiplatform.v1";

/** The gRPC services this server registers, by fully qualified name. */
export const serviceNames = {
  job: `${v1}.JobService`,
  model: `${v1}.ModelService`,
  endpoint: `${v1}.EndpointService`,
  prediction: `${v1}.PredictionService`,
  operations: "google.longrunning.Operations",
} as const;

/** The directories that hold the .proto files: aiplatform's own and google-gax's common protos. */
export function protoIncludeDirs(): string[] {
  // @google-cloud/aiplatform has no exports map, google-gax has one without ./package.json,
  // so both are found from their main entry points.
  const aiplatform = path.resolve(path.dirname(require.resolve("@google-cloud/aiplatform")), "../protos");
  const gax = path.resolve(path.dirname(require.resolve("google-gax")), "../../build/protos");
  for (const dir of [aiplatform, gax]) accessSync(path.join(dir, "google"));
  return [aiplatform, gax];
}

let cached: PackageDefinition | undefined;

/**
 * Loads (once per process) the aiplatform v1 service protos and google.longrunning.
 * Objects are camelCase like the client library's, enums are names, int64 are strings,
 * and oneofs name their set field, so handlers can read `value.kind`.
 */
export function vertexProtos(): PackageDefinition {
  cached ??= loadSync(
    [
      "google/cloud/aiplatform/v1/job_service.proto",
      "google/cloud/aiplatform/v1/model_service.proto",
      "google/cloud/aiplatform/v1/endpoint_service.proto",
      "google/cloud/aiplatform/v1/prediction_service.proto",
      "google/longrunning/operations.proto",
    ],
    {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
      includeDirs: protoIncludeDirs(),
    },
  );
  return cached;
}

/** The service definition of one of `serviceNames`. */
export function serviceDefinition(fullName: string): ServiceDefinition {
  const def = vertexProtos()[fullName];
  if (!def || "format" in def) throw new Error(`Service ${fullName} is not in the loaded protos`);
  return def as ServiceDefinition;
}

/** A google.protobuf.Any as the serializer takes it (camelCase fields). */
export interface AnyMessage {
  typeUrl: string;
  value: Buffer;
}

/** Packs `message` as a google.protobuf.Any of the fully qualified `typeName`. */
export function packAny(typeName: string, message: object): AnyMessage {
  const def = vertexProtos()[typeName] as MessageTypeDefinition<object, object> | undefined;
  if (def?.format !== "Protocol Buffer 3 DescriptorProto") {
    throw new Error(`Message type ${typeName} is not in the loaded protos`);
  }
  return { typeUrl: `type.googleapis.com/${typeName}`, value: def.serialize(message) };
}
