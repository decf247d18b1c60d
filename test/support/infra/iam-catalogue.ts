/**
 * Google Cloud's IAM catalogue (every permission, every predefined role with its permissions), read from a
 * reference folder the project did not write (MODELGATE_REFERENCE, see docs/reference-checks.md), and what a
 * predefined role's permissions mean when the role is granted on one resource rather than the project.
 */
import type { ScopeKind } from "../../../shared/permissions.js";

export interface IamCatalogue {
  permissions: ReadonlySet<string>;
  /** `roles/NAME` → its included permissions. */
  roles: ReadonlyMap<string, readonly string[]>;
}

/** Reads `gcp-iam/permissions.txt` and `gcp-iam/predefined-roles.json` under `referenceDir`. */
export async function loadIamCatalogue(referenceDir: string): Promise<IamCatalogue> {
  const { readFile } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const text = await readFile(join(referenceDir, "gcp-iam", "permissions.txt"), "utf8");
  const permissions = new Set(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const parsed = JSON.parse(
    await readFile(join(referenceDir, "gcp-iam", "predefined-roles.json"), "utf8"),
  ) as {
    roles?: Record<string, { includedPermissions?: string[] }>;
  };
  if (!parsed.roles || permissions.size === 0) {
    throw new Error(
      `${referenceDir}/gcp-iam: expected permissions.txt lines and predefined-roles.json {"roles": …}`,
    );
  }
  const roles = new Map(Object.entries(parsed.roles).map(([name, r]) => [name, r.includedPermissions ?? []]));
  return { permissions, roles };
}

/** Where a grant is made, for deciding which of a role's permissions take effect there. */
export type GrantTarget = ScopeKind | "bucket" | "cloud-run-service" | "subscription" | "other";

/**
 * The permission collections a grant on one resource can confer: the resource's own (except `create` and
 * `list`, which IAM checks on the parent) and those of the resources it contains. A role granted on a topic
 * confers `pubsub.topics.publish` but not the `resourcemanager.projects.get` the same role lists.
 */
const collectionsOn: Record<
  Exclude<GrantTarget, "project" | "other">,
  { own: string[]; contained: string[] }
> = {
  "bucket-prefix": { own: [], contained: ["storage.objects", "storage.multipartUploads"] },
  bucket: {
    own: ["storage.buckets"],
    contained: ["storage.objects", "storage.folders", "storage.managedFolders", "storage.multipartUploads"],
  },
  topic: { own: ["pubsub.topics"], contained: [] },
  subscription: { own: ["pubsub.subscriptions"], contained: [] },
  secret: { own: ["secretmanager.secrets"], contained: ["secretmanager.versions"] },
  "service-account": { own: ["iam.serviceAccounts"], contained: ["iam.serviceAccountKeys"] },
  endpoint: { own: ["aiplatform.endpoints"], contained: [] },
  queue: { own: ["cloudtasks.queues"], contained: ["cloudtasks.tasks"] },
  "cloud-run-service": { own: ["run.services"], contained: ["run.routes", "run.revisions"] },
};

/** Whether `permission`, in a role granted on `target`, takes effect there (anything does on the project). */
export function takesEffectOn(permission: string, target: GrantTarget): boolean {
  if (target === "project" || target === "other") return true;
  const { own, contained } = collectionsOn[target];
  const collection = permission.slice(0, permission.lastIndexOf("."));
  const verb = permission.slice(permission.lastIndexOf(".") + 1);
  return contained.includes(collection) || (own.includes(collection) && verb !== "create" && verb !== "list");
}

/** A predefined role's permissions that take effect on `target`; undefined for a role the catalogue lacks. */
export function effectivePermissions(
  catalogue: IamCatalogue,
  role: string,
  target: GrantTarget,
): string[] | undefined {
  const included = catalogue.roles.get(role);
  return included?.filter((p) => takesEffectOn(p, target)).sort();
}
