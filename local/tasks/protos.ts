import { accessSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { PackageDefinition, ServiceDefinition } from "@grpc/proto-loader";
import { loadSync } from "@grpc/proto-loader";

const require = createRequire(import.meta.url);

/** The Cloud Tasks v2 service this server speaks. */
export const cloudTasksService = "google.cloud.tasks.v2.CloudTasks";

let cached: PackageDefinition | undefined;

/**
 * Loads (once per process) the Cloud Tasks v2 protos shipped in @google-cloud/tasks, with google-gax's common protos
 * for the imports, in the same form as the local Vertex AI server's (camelCase, enums as names, int64 as strings).
 */
export function tasksProtos(): PackageDefinition {
  const tasks = path.resolve(path.dirname(require.resolve("@google-cloud/tasks")), "../../protos");
  const gax = path.resolve(path.dirname(require.resolve("google-gax")), "../../build/protos");
  for (const dir of [tasks, gax]) accessSync(path.join(dir, "google"));
  cached ??= loadSync(["google/cloud/tasks/v2/cloudtasks.proto"], {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: [tasks, gax],
  });
  return cached;
}

/** The CloudTasks service definition. */
export function cloudTasksDefinition(): ServiceDefinition {
  const def = tasksProtos()[cloudTasksService];
  if (!def || "format" in def) throw new Error(`${cloudTasksService} is not in the loaded protos`);
  return def as ServiceDefinition;
}
