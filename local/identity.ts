/**
 * Local identity enforcement: every identity of the permission table reaches the local Cloud Storage, Pub/Sub and
 * Vertex AI servers on a port of its own, and the servers refuse what the table does not grant. Identity travels
 * by configuration only (STORAGE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST, MODELGATE_VERTEX_ENDPOINT point at the
 * identity's ports), so production code cannot tell the local stack from Google. See docs/local-identity.md.
 */
import {
  type Entitlement,
  entitlements,
  type Identity,
  identityNames,
  permissionTable,
  type ScopeKind,
} from "../shared/permissions.js";
import type { Authorize as PubSubAuthorize } from "./pubsub/index.js";
import type { Authorize as StorageAuthorize } from "./storage/index.js";
import type { Authorize as TasksAuthorize } from "./tasks/index.js";
import type { Authorize as VertexAuthorize } from "./vertex/index.js";

export interface IdentityOptions {
  /** Give every identity its own ports and enforce the grants there (default true). */
  enforce?: boolean;
  /** The grants the servers enforce instead of the table's (a test's deliberately altered grant). */
  grants?: readonly Entitlement[];
}

/** A resource as the permission table scopes it. */
export interface ScopedResource {
  kind: ScopeKind;
  value?: string;
}

/**
 * Whether `grants` let `identity` use `permission` on `resource`: the same semantics as `allows` in
 * shared/permissions.ts (which asks the table itself), over any list of entitlements.
 */
export function grantAllows(
  grants: readonly Entitlement[],
  identity: Identity,
  permission: string,
  resource: ScopedResource,
): boolean {
  return grants.some((e) => {
    if (e.identity !== identity || e.permission !== permission) return false;
    if (e.scope.kind === "project") return true;
    if (e.scope.kind !== resource.kind || resource.value === undefined) return false;
    return e.scope.kind === "bucket-prefix"
      ? resource.value.startsWith(e.scope.value)
      : resource.value === e.scope.value;
  });
}

export function isIdentity(value: string): value is Identity {
  return (identityNames as readonly string[]).includes(value);
}

/** What a refused call looked like, for logs and tests. */
export interface Refusal {
  server: "storage" | "pubsub" | "vertex" | "tasks";
  identity: string;
  permission: string;
  resource: string;
}

/** The grants the local servers enforce; the table's unless told otherwise, replaceable while they run. */
export class LocalGrants {
  private current: Entitlement[];
  readonly refusals: Refusal[] = [];

  constructor(
    grants: readonly Entitlement[] = entitlements(),
    private readonly log?: (entry: Record<string, unknown>) => void,
  ) {
    this.current = [...grants];
  }

  list(): readonly Entitlement[] {
    return this.current;
  }

  replace(grants: readonly Entitlement[]): void {
    this.current = [...grants];
  }

  /**
   * The decision every server asks: no identity (the default port) is the admin — the stack's own setup, tests,
   * the CLI — and may do anything; an unknown identity may do nothing; a known one what its grants allow.
   */
  check(
    server: Refusal["server"],
    identity: string | null | undefined,
    permission: string,
    resourceName: string,
    resource: ScopedResource | null,
  ): boolean {
    if (identity === null || identity === undefined) return true;
    const allowed =
      resource !== null && isIdentity(identity) && grantAllows(this.current, identity, permission, resource);
    if (!allowed) {
      const refusal = { server, identity, permission, resource: resourceName };
      this.refusals.push(refusal);
      this.log?.({ severity: "WARNING", message: "identity refused", ...refusal });
    }
    return allowed;
  }
}

/** Cloud Storage: objects by name under the artifact bucket; listings by their prefix (IAM's objectListPrefix). */
export function storageAuthorizer(grants: LocalGrants, bucket: string): StorageAuthorize {
  return (request, access) => {
    const name = access.object ?? access.listPrefix;
    const resourceName = `${access.bucket ?? ""}/${name ?? ""}`;
    let resource: ScopedResource | null;
    if (access.bucket !== bucket) resource = null;
    else if (name !== undefined) resource = { kind: "bucket-prefix", value: name };
    // Bucket-level calls (buckets.get…) only a project-wide grant could allow.
    else resource = { kind: "project" };
    return grants.check("storage", request.identity, access.permission, resourceName, resource);
  };
}

/** Pub/Sub: topics by short name in the project; subscriptions and list calls only by a project-wide grant. */
export function pubsubAuthorizer(grants: LocalGrants, project: string): PubSubAuthorize {
  return (identity, permission, resourceName) => {
    const match = /^projects\/([^/]+)(?:\/(topics|subscriptions)\/([^/]+))?$/.exec(resourceName);
    let resource: ScopedResource | null = null;
    if (match && match[1] === project) {
      resource = match[2] === "topics" ? { kind: "topic", value: match[3] ?? "" } : { kind: "project" };
    }
    return grants.check("pubsub", identity, permission, resourceName, resource);
  };
}

/**
 * Vertex AI: grants are project-wide (endpoint-level IAM is not in the GA provider), checked on the project; a
 * CustomJob's service account (actAs) by the table identity whose account it is in this project.
 */
export function vertexAuthorizer(grants: LocalGrants, project: string): VertexAuthorize {
  return (identity, permission, resourceName) => {
    const match = /^projects\/([^/]+)\/locations\/[^/]+(?:\/endpoints\/([^/]+))?/.exec(resourceName);
    let resource: ScopedResource | null = null;
    if (match && match[1] === project) {
      const endpoint = match[2];
      resource = endpoint === undefined ? { kind: "project" } : { kind: "endpoint", value: endpoint };
    }
    const account = identityOfAccount(resourceName, project);
    if (account !== undefined) resource = { kind: "service-account", value: account };
    return grants.check("vertex", identity, permission, resourceName, resource);
  };
}

/** Cloud Tasks: tasks by their queue's id in the project; an OIDC token's account (actAs) by its table identity. */
export function tasksAuthorizer(grants: LocalGrants, project: string): TasksAuthorize {
  return (identity, permission, resourceName) => {
    const queue = /^projects\/([^/]+)\/locations\/[^/]+\/queues\/([^/]+)/.exec(resourceName);
    const account = identityOfAccount(resourceName, project);
    let resource: ScopedResource | null = null;
    if (queue && queue[1] === project) resource = { kind: "queue", value: queue[2] ?? "" };
    else if (account !== undefined) resource = { kind: "service-account", value: account };
    return grants.check("tasks", identity, permission, resourceName, resource);
  };
}

/** The table identity whose service account `email` is in `project` (`mg-trainer@p.iam.gserviceaccount.com`). */
export function identityOfAccount(email: string, project: string): Identity | undefined {
  const match = /^([a-z][a-z0-9-]{4,28}[a-z0-9])@([a-z][a-z0-9-]+)\.iam\.gserviceaccount\.com$/.exec(email);
  if (!match || match[2] !== project) return undefined;
  return identityNames.find((name) => permissionTable[name].accountId === match[1]);
}

/** Each identity's addresses on the servers. */
export interface IdentityPorts {
  storage: string;
  pubsub: string;
  vertex: string;
  tasks: string;
}

/** What `GET /_modelgate/grants` on the storage server's default port answers (and `modelgate doctor` reads). */
export interface GrantsDocument {
  enforced: boolean;
  identities: Partial<Record<Identity, IdentityPorts>>;
  grants: readonly Entitlement[];
}

/**
 * The client environment of one identity: the admin environment with the three endpoints replaced by the
 * identity's ports. Without enforcement (or for an identity without ports) it is the admin environment.
 */
export function identityEnv(
  adminEnv: Record<string, string>,
  ports: IdentityPorts | undefined,
): Record<string, string> {
  if (!ports) return { ...adminEnv };
  return {
    ...adminEnv,
    STORAGE_EMULATOR_HOST: ports.storage,
    PUBSUB_EMULATOR_HOST: ports.pubsub,
    MODELGATE_VERTEX_ENDPOINT: ports.vertex,
    MODELGATE_TASKS_ENDPOINT: ports.tasks,
  };
}
