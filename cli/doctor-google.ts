/**
 * `modelgate doctor` against Google Cloud: for each identity, impersonate its service account and ask the services'
 * own testIamPermissions which permissions it holds on each resource the table scopes — the project (Vertex AI and
 * anything granted project-wide), the artifact bucket, every topic, every secret, every modelgate service account —
 * then compare with what the table allows there. Needs `roles/iam.serviceAccountTokenCreator` on each account for the
 * operator (see docs/local-identity.md).
 */
import type { Config } from "../shared/config.js";
import {
  adapters,
  allows,
  entitlements,
  type Identity,
  identityNames,
  permissionTable,
  type ScopeKind,
} from "../shared/permissions.js";
import { rolloutQueuePath } from "../shared/tasks/cloud-tasks-scheduler.js";
import { deadLetterTopic, rolloutQueue, Secret, topicNames } from "../shared/topology.js";
import { type DoctorReport, emptyReport, type IdentityReport, whyOf } from "./doctor-report.js";

/** One testIamPermissions call: on what, by which request, for which permissions. */
export interface Probe {
  /** Where, as the report names it (`scopeKey` form where the table has one). */
  scope: string;
  request: { method: "GET" | "POST"; url: string; body?: { permissions: string[] } };
  permissions: readonly string[];
  /** Whether the table lets `identity` hold `permission` here. */
  expected(identity: Identity, permission: string): boolean;
}

/** Asks the service, as `identity`, which of the probe's permissions it holds. */
export type PermissionTester = (identity: Identity, probe: Probe) => Promise<string[]>;

const storageObjectPermissions = [
  "storage.objects.get",
  "storage.objects.list",
  "storage.objects.create",
  "storage.objects.delete",
  "storage.objects.update",
];
const topicPermissions = [
  "pubsub.topics.publish",
  "pubsub.topics.get",
  "pubsub.topics.update",
  "pubsub.topics.delete",
  "pubsub.topics.attachSubscription",
];

/** Everything the adapters need, plus the Vertex AI, storage and Pub/Sub rights no identity should hold project-wide. */
export function projectCandidates(): string[] {
  const fromAdapters = Object.values(adapters).flatMap((a) =>
    Object.values(a.calls as Record<string, readonly string[]>).flat(),
  );
  const broader = [
    "aiplatform.customJobs.cancel",
    "aiplatform.customJobs.get",
    "aiplatform.endpoints.create",
    "aiplatform.endpoints.delete",
    "aiplatform.endpoints.list",
    "aiplatform.models.delete",
    "pubsub.topics.publish",
    "pubsub.subscriptions.consume",
    "secretmanager.versions.access",
    "iam.serviceAccounts.actAs",
    ...storageObjectPermissions,
  ];
  return [...new Set([...fromAdapters, ...broader])].sort();
}

const inTable = (identity: Identity, permission: string, resource: { kind: ScopeKind; value?: string }) =>
  allows(identity, permission, resource);

/** The testIamPermissions calls that cover the table for a project and bucket. */
export function planProbes(config: Pick<Config, "project" | "bucket" | "region">): Probe[] {
  const p = encodeURIComponent(config.project);
  const probes: Probe[] = [
    {
      scope: "project",
      request: {
        method: "POST",
        url: `https://cloudresourcemanager.googleapis.com/v1/projects/${p}:testIamPermissions`,
      },
      permissions: projectCandidates(),
      // Only the table's project-wide grants may show here.
      expected: (identity, permission) => inTable(identity, permission, { kind: "project" }),
    },
    {
      scope: `bucket:${config.bucket} (whole bucket)`,
      request: {
        method: "GET",
        url: `https://storage.googleapis.com/storage/v1/b/${encodeURIComponent(config.bucket)}/iam/testPermissions`,
      },
      permissions: storageObjectPermissions,
      // The table grants the bucket only by prefix (IAM conditions), never the whole of it.
      expected: () => false,
    },
  ];
  for (const topic of [...topicNames, ...topicNames.map(deadLetterTopic)]) {
    probes.push({
      scope: `topic:${topic}`,
      request: {
        method: "POST",
        url: `https://pubsub.googleapis.com/v1/projects/${p}/topics/${encodeURIComponent(topic)}:testIamPermissions`,
      },
      permissions: topicPermissions,
      expected: (identity, permission) => inTable(identity, permission, { kind: "topic", value: topic }),
    });
  }
  for (const { secretId } of Object.values(Secret)) {
    probes.push({
      scope: `secret:${secretId}`,
      request: {
        method: "POST",
        url: `https://secretmanager.googleapis.com/v1/projects/${p}/secrets/${secretId}:testIamPermissions`,
      },
      permissions: ["secretmanager.versions.access"],
      expected: (identity, permission) => inTable(identity, permission, { kind: "secret", value: secretId }),
    });
  }
  probes.push({
    scope: `queue:${rolloutQueue.id}`,
    request: {
      method: "POST",
      url: `https://cloudtasks.googleapis.com/v2/${rolloutQueuePath(config)}:testIamPermissions`,
    },
    permissions: ["cloudtasks.tasks.create"],
    expected: (identity, permission) =>
      inTable(identity, permission, { kind: "queue", value: rolloutQueue.id }),
  });
  for (const target of identityNames) {
    const email = serviceAccountEmail(config.project, target);
    probes.push({
      scope: `service-account:${target}`,
      request: {
        method: "POST",
        url: `https://iam.googleapis.com/v1/projects/${p}/serviceAccounts/${email}:testIamPermissions`,
      },
      permissions: ["iam.serviceAccounts.actAs"],
      expected: (identity, permission) =>
        inTable(identity, permission, { kind: "service-account", value: target }),
    });
  }
  return probes.map((probe) =>
    probe.request.method === "POST"
      ? { ...probe, request: { ...probe.request, body: { permissions: [...probe.permissions] } } }
      : {
          ...probe,
          request: {
            ...probe.request,
            url: `${probe.request.url}?${probe.permissions.map((x) => `permissions=${encodeURIComponent(x)}`).join("&")}`,
          },
        },
  );
}

export function serviceAccountEmail(project: string, identity: Identity): string {
  return `${permissionTable[identity].accountId}@${project}.iam.gserviceaccount.com`;
}

/**
 * The table's grants no testIamPermissions call can confirm: bucket grants are conditional on object-name prefixes,
 * which a bucket-level test does not evaluate. They are reported as notes, not as missing.
 */
export function untestable(identity: Identity): string[] {
  return entitlements(identity)
    .filter((e) => e.scope.kind === "bucket-prefix")
    .map((e) => `${e.permission} on bucket-prefix:${e.scope.kind === "bucket-prefix" ? e.scope.value : ""}`);
}

/** Compares what one probe found with the table. */
export function compareProbe(report: IdentityReport, probe: Probe, held: readonly string[]): void {
  const holds = new Set(held);
  for (const permission of probe.permissions) {
    report.checked += 1;
    const expected = probe.expected(report.identity, permission);
    if (expected && !holds.has(permission)) {
      const why = whyOf(report.identity, permission, probe.scope);
      report.missing.push({ permission, scope: probe.scope, ...(why ? { why } : {}) });
    } else if (!expected && holds.has(permission)) {
      report.excess.push({ permission, scope: probe.scope });
    }
  }
  // A service answering with permissions that were not asked about is itself a sign of a wrong call.
  for (const permission of holds) {
    if (!probe.permissions.includes(permission)) report.excess.push({ permission, scope: probe.scope });
  }
}

/** Runs every probe for every identity through `tester` and compares with the table. */
export async function googleDoctor(
  config: Pick<Config, "project" | "bucket" | "region">,
  tester: PermissionTester,
  identities: readonly Identity[] = identityNames,
): Promise<DoctorReport> {
  const probes = planProbes(config);
  const reports = await Promise.all(
    identities.map(async (identity) => {
      const report = emptyReport(identity);
      for (const probe of probes) {
        try {
          compareProbe(report, probe, await tester(identity, probe));
        } catch (error) {
          report.errors.push(`testIamPermissions on ${probe.scope} failed: ${(error as Error).message}`);
          // One failure (impersonation refused) usually means every probe fails: do not repeat it.
          if (/impersonat|generateAccessToken|iam\.serviceAccounts\.getAccessToken/i.test(String(error)))
            break;
        }
      }
      return report;
    }),
  );
  const prefixGrants = identities.flatMap((i) => untestable(i).map((g) => `${i}: ${g}`));
  return {
    target: `Google Cloud project ${config.project}, bucket ${config.bucket} (testIamPermissions as each service account)`,
    identities: reports,
    errors: [],
    notes: [
      `${prefixGrants.length} bucket grant(s) are conditional on object prefixes, which testIamPermissions does not evaluate; ` +
        "they are checked against Terraform by the infrastructure check (test/unit/infra-check.test.ts), not here",
    ],
  };
}

/** The slice of google-auth-library's AuthClient the tester uses. */
export interface RequestClient {
  request<T>(options: { url: string; method: "GET" | "POST"; data?: unknown }): Promise<{ data: T }>;
}

/** A tester that sends each probe through one authenticated client per identity. */
export function restTester(clientFor: (identity: Identity) => Promise<RequestClient>): PermissionTester {
  const clients = new Map<Identity, Promise<RequestClient>>();
  return async (identity, probe) => {
    let client = clients.get(identity);
    if (!client) {
      client = clientFor(identity);
      clients.set(identity, client);
    }
    const { data } = await (await client).request<{ permissions?: string[] }>({
      url: probe.request.url,
      method: probe.request.method,
      ...(probe.request.body ? { data: probe.request.body } : {}),
    });
    return data.permissions ?? [];
  };
}

/**
 * Clients that act as each modelgate service account: the operator's Application Default Credentials, exchanged for
 * a short-lived token of the target account (IAM Credentials generateAccessToken). google-auth-library is loaded only
 * here, so the local path never needs it.
 */
export async function impersonatingClients(
  project: string,
): Promise<(identity: Identity) => Promise<RequestClient>> {
  const { GoogleAuth, Impersonated } = await import("google-auth-library");
  const scopes = ["https://www.googleapis.com/auth/cloud-platform"];
  const source = await new GoogleAuth({ scopes }).getClient();
  return async (identity) =>
    new Impersonated({
      sourceClient: source,
      targetPrincipal: serviceAccountEmail(project, identity),
      targetScopes: scopes,
      lifetime: 300,
      delegates: [],
    }) as unknown as RequestClient;
}
