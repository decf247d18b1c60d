/**
 * The Vertex AI IAM permission each implemented RPC needs, and where in the request the
 * resource it is checked on sits (a dotted field path). CreateCustomJob with a
 * `jobSpec.serviceAccount` needs `iam.serviceAccounts.actAs` on that account (a job without
 * one runs as the Vertex AI service agent, and needs nothing more: `ifSet`). A long-running
 * operation is authorised by the resource it is named under (`.../endpoints/E/operations/N`
 * needs `aiplatform.endpoints.get`): IAM has no `aiplatform.operations.get`, only
 * `aiplatform.operations.list` (checked against Google's IAM catalogue in test/contract).
 * See https://cloud.google.com/vertex-ai/docs/general/access-control#permissions and
 * https://cloud.google.com/vertex-ai/docs/general/custom-service-account.
 */
export const vertexPermissions = {
  CreateCustomJob: [
    { permission: "aiplatform.customJobs.create", resource: "parent" },
    { permission: "iam.serviceAccounts.actAs", resource: "customJob.jobSpec.serviceAccount", ifSet: true },
  ],
  GetCustomJob: [{ permission: "aiplatform.customJobs.get", resource: "name" }],
  ListCustomJobs: [{ permission: "aiplatform.customJobs.list", resource: "parent" }],
  CancelCustomJob: [{ permission: "aiplatform.customJobs.cancel", resource: "name" }],
  UploadModel: [{ permission: "aiplatform.models.upload", resource: "parent" }],
  GetModel: [{ permission: "aiplatform.models.get", resource: "name" }],
  ListModels: [{ permission: "aiplatform.models.list", resource: "parent" }],
  ListModelVersions: [{ permission: "aiplatform.models.list", resource: "name" }],
  MergeVersionAliases: [{ permission: "aiplatform.models.update", resource: "name" }],
  UpdateModel: [{ permission: "aiplatform.models.update", resource: "model.name" }],
  CreateEndpoint: [{ permission: "aiplatform.endpoints.create", resource: "parent" }],
  GetEndpoint: [{ permission: "aiplatform.endpoints.get", resource: "name" }],
  ListEndpoints: [{ permission: "aiplatform.endpoints.list", resource: "parent" }],
  UpdateEndpoint: [{ permission: "aiplatform.endpoints.update", resource: "endpoint.name" }],
  DeleteEndpoint: [{ permission: "aiplatform.endpoints.delete", resource: "name" }],
  DeployModel: [{ permission: "aiplatform.endpoints.deploy", resource: "endpoint" }],
  UndeployModel: [{ permission: "aiplatform.endpoints.undeploy", resource: "endpoint" }],
  MutateDeployedModel: [{ permission: "aiplatform.endpoints.deploy", resource: "endpoint" }],
  Predict: [{ permission: "aiplatform.endpoints.predict", resource: "endpoint" }],
  Explain: [{ permission: "aiplatform.endpoints.explain", resource: "endpoint" }],
  GetOperation: [{ operationVerb: "get", resource: "name" }],
  ListOperations: [{ permission: "aiplatform.operations.list", resource: "name" }],
  WaitOperation: [{ operationVerb: "get", resource: "name" }],
  // IAM names no permission for cancelling or deleting an operation; this server asks for the resource's update.
  CancelOperation: [{ operationVerb: "update", resource: "name" }],
  DeleteOperation: [{ operationVerb: "update", resource: "name" }],
} as const satisfies Record<string, ReadonlyArray<PermissionCheck>>;

/**
 * One permission an RPC needs, on the resource at a field path; `ifSet`: only when the field is set. An
 * operation's check names a verb instead: the permission is that verb on the resource the operation is named
 * under, and it is checked there.
 */
export type PermissionCheck =
  | { permission: string; resource: string; ifSet?: boolean }
  | { operationVerb: string; resource: string };

/**
 * The permission a check asks for and the resource it asks on, for one request; undefined when there is
 * nothing to check (an unset `ifSet` field, an operation not named under a resource — the server then answers
 * NOT_FOUND, as it makes none).
 */
export function resolveCheck(
  check: PermissionCheck,
  request: unknown,
): { permission: string; resourceName: string } | undefined {
  const resourceName = fieldAt(request, check.resource);
  if ("operationVerb" in check) {
    const owner = /^(projects\/[^/]+\/locations\/[^/]+\/([A-Za-z]+)\/[^/]+)\/operations\/[^/]+$/.exec(
      resourceName,
    );
    if (!owner?.[1] || !owner[2]) return undefined;
    return { permission: `aiplatform.${owner[2]}.${check.operationVerb}`, resourceName: owner[1] };
  }
  if (check.ifSet && resourceName === "") return undefined;
  return { permission: check.permission, resourceName };
}

/** An RPC name this server implements. */
export type VertexMethod = keyof typeof vertexPermissions;

/**
 * Decides whether `identity` (the bearer token of the call, or null when none was sent) holds
 * `permission` on `resourceName`. Returning false answers PERMISSION_DENIED.
 */
export type Authorize = (
  identity: string | null,
  permission: string,
  resourceName: string,
) => boolean | Promise<boolean>;

/** Reads a dotted field path (`deployedModel.model`) from a decoded request. */
export function fieldAt(request: unknown, path: string): string {
  let value: unknown = request;
  for (const key of path.split(".")) {
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  }
  return typeof value === "string" ? value : "";
}

/** The identity a call carries: the token of an `authorization: Bearer X` header, else null. */
export function identityOf(authorization: unknown): string | null {
  if (typeof authorization !== "string") return null;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match?.[1] ?? null;
}
