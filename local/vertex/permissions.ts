/**
 * The Vertex AI IAM permission each implemented RPC needs, and where in the request the
 * resource it is checked on sits (a dotted field path). DeployModel, like the real API,
 * also needs `aiplatform.models.deploy` on the model being deployed, and CreateCustomJob
 * with a `jobSpec.serviceAccount` needs `iam.serviceAccounts.actAs` on that account (a job
 * without one runs as the Vertex AI service agent, and needs nothing more: `ifSet`).
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
  DeployModel: [
    { permission: "aiplatform.endpoints.deploy", resource: "endpoint" },
    { permission: "aiplatform.models.deploy", resource: "deployedModel.model" },
  ],
  UndeployModel: [{ permission: "aiplatform.endpoints.undeploy", resource: "endpoint" }],
  MutateDeployedModel: [{ permission: "aiplatform.endpoints.deploy", resource: "endpoint" }],
  Predict: [{ permission: "aiplatform.endpoints.predict", resource: "endpoint" }],
  Explain: [{ permission: "aiplatform.endpoints.explain", resource: "endpoint" }],
  GetOperation: [{ permission: "aiplatform.operations.get", resource: "name" }],
  ListOperations: [{ permission: "aiplatform.operations.list", resource: "name" }],
  WaitOperation: [{ permission: "aiplatform.operations.get", resource: "name" }],
  CancelOperation: [{ permission: "aiplatform.operations.cancel", resource: "name" }],
  DeleteOperation: [{ permission: "aiplatform.operations.delete", resource: "name" }],
} as const satisfies Record<string, ReadonlyArray<PermissionCheck>>;

/** One permission an RPC needs, on the resource at a field path; `ifSet`: only when the field is set. */
export interface PermissionCheck {
  permission: string;
  resource: string;
  ifSet?: boolean;
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
