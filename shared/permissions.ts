/**
 * The one permission table: which identity may do what, on which resource, and why — derived from the client
 * calls each adapter makes. Terraform (through scripts/generate-infra-data.ts), the infrastructure check
 * (test/support/infra/infra-check.ts), the identity matrix (docs/identity-matrix.md) and the local stand-ins'
 * identity enforcement all read it from here.
 */
import { FunctionName, functions, rolloutQueue, Topic, type TopicName } from "./topology.js";

/** Every principal modelgate runs as: each function, the training job, and CI reading results. */
export const Identity = {
  ...FunctionName,
  /** The account Vertex AI CustomJobs (and Tekton's train-and-package step) run as. */
  trainer: "trainer",
  /** GitHub Actions through Workload Identity Federation: reads what was registered and verified. */
  githubActions: "githubActions",
  /** The OIDC identity of the rollout queue's tasks: its one right is invoking advanceRollout. */
  rolloutTasks: "rolloutTasks",
} as const;
export type Identity = (typeof Identity)[keyof typeof Identity];

export const identityNames: readonly Identity[] = Object.values(Identity);

export const ScopeKind = {
  project: "project",
  bucketPrefix: "bucket-prefix",
  topic: "topic",
  endpoint: "endpoint",
  serviceAccount: "service-account",
  secret: "secret",
  queue: "queue",
} as const;
export type ScopeKind = (typeof ScopeKind)[keyof typeof ScopeKind];

/**
 * Where a grant applies. Vertex AI grants are project-wide: endpoint-level IAM exists only in the google-beta
 * provider, so `endpoint` is reserved for when it reaches the GA provider.
 */
export type Scope =
  | { kind: "project" }
  | { kind: "bucket-prefix"; value: string }
  | { kind: "topic"; value: TopicName }
  | { kind: "endpoint"; value: string }
  | { kind: "service-account"; value: Identity }
  | { kind: "secret"; value: string }
  | { kind: "queue"; value: string };

export interface Grant {
  scope: Scope;
  permissions: readonly string[];
  why: string;
}

/** The artifact bucket's top-level prefixes (see the bucket layout in the design). */
export const Prefix = {
  models: "models/",
  datasets: "datasets/",
  golden: "golden/",
  reports: "reports/",
  registry: "registry/",
  ledger: "ledger/",
  pushes: "pushes/",
  promotions: "promotions/",
  idempotency: "idempotency/",
  /** Each model's applied release, `releases/<model>.json` (shared/releases/applied-release.ts). */
  releases: "releases/",
} as const;

/** The claim prefix of one function: a function can only touch its own claims. */
export function claimPrefix(fn: FunctionName): string {
  return `${Prefix.idempotency}${fn}/`;
}

/** Reading the secrets a function declares (shared/topology.ts), mounted as files. */
const secretGrants = (fn: FunctionName): Grant[] =>
  functions[fn].secrets.map((secret) => ({
    scope: { kind: "secret", value: secret.secretId },
    permissions: ["secretmanager.versions.access"],
    why: `read ${secret.env} (mounted as an environment variable)`,
  }));

/** The client libraries modelgate's adapters call. */
export const Library = {
  storage: "@google-cloud/storage",
  pubsub: "@google-cloud/pubsub",
  aiplatform: "@google-cloud/aiplatform",
  tasks: "@google-cloud/tasks",
} as const;
export type Library = (typeof Library)[keyof typeof Library];

export interface AdapterSpec {
  library: Library;
  /** For Vertex AI and Pub/Sub: the generated client modules (`build/src/v1/<name>.js`) the adapter loads. */
  clientModules: readonly string[];
  /**
   * Every client method the adapter calls → the IAM permissions that call needs. An empty list marks a call
   * that makes no API request (a handle, closing a channel).
   */
  calls: Readonly<Record<string, readonly string[]>>;
  /** Receivers in the adapter's source that are not client handles (a Map cache), so their calls are skipped. */
  notClientReceivers?: readonly string[];
}

// Overwriting an existing object needs storage.objects.delete as well as create; claims are taken over in
// place (ifGenerationMatch on the old generation), the ledger is create-only (ifGenerationMatch 0).
/** Per adapter module (repository path): the client methods it calls and the permission each needs. */
export const adapters = {
  "shared/gcs-blob-store.ts": {
    library: Library.storage,
    clientModules: [],
    calls: {
      bucket: [],
      file: [],
      getMetadata: ["storage.objects.get"],
      download: ["storage.objects.get"],
      createReadStream: ["storage.objects.get"],
      save: ["storage.objects.create"],
      getFiles: ["storage.objects.list"],
      delete: ["storage.objects.delete"],
    },
  },
  "shared/pubsub-publisher.ts": {
    library: Library.pubsub,
    clientModules: ["publisher_client"],
    calls: {
      publish: ["pubsub.topics.publish"],
    },
  },
  "shared/vertex/jobs-adapter.ts": {
    library: Library.aiplatform,
    clientModules: ["job_service_client"],
    calls: {
      // A job that runs as a service account also needs iam.serviceAccounts.actAs on it (granted per identity).
      createCustomJob: ["aiplatform.customJobs.create"],
      listCustomJobs: ["aiplatform.customJobs.list"],
    },
  },
  "shared/vertex/models-adapter.ts": {
    library: Library.aiplatform,
    clientModules: ["model_service_client"],
    calls: {
      listModels: ["aiplatform.models.list"],
      listModelVersions: ["aiplatform.models.list"],
      getModel: ["aiplatform.models.get"],
      // UploadModel is a long-running operation; waiting on it polls GetOperation, which IAM authorises by the
      // `.get` of the resource the operation is named under (there is no aiplatform.operations.get).
      uploadModel: ["aiplatform.models.upload", "aiplatform.models.get"],
      mergeVersionAliases: ["aiplatform.models.update"],
      updateModel: ["aiplatform.models.update"],
    },
  },
  "shared/vertex/endpoints-adapter.ts": {
    library: Library.aiplatform,
    clientModules: ["endpoint_service_client"],
    calls: {
      getEndpoint: ["aiplatform.endpoints.get"],
      // DeployModel is authorised by aiplatform.endpoints.deploy (IAM has no aiplatform.models.deploy). These are
      // long-running operations named under the endpoint: polling them needs aiplatform.endpoints.get.
      deployModel: ["aiplatform.endpoints.deploy", "aiplatform.endpoints.get"],
      undeployModel: ["aiplatform.endpoints.undeploy", "aiplatform.endpoints.get"],
      updateEndpoint: ["aiplatform.endpoints.update"],
    },
  },
  "shared/vertex/prediction-adapter.ts": {
    library: Library.aiplatform,
    clientModules: ["prediction_service_client"],
    calls: {
      predict: ["aiplatform.endpoints.predict"],
      // Explain with a deployed model id: the candidate's predictions without the traffic split (docs/decisions.md).
      explain: ["aiplatform.endpoints.explain"],
    },
  },
  "shared/tasks/cloud-tasks-scheduler.ts": {
    library: Library.tasks,
    clientModules: [],
    calls: {
      // A task with an OIDC token for a service account also needs iam.serviceAccounts.actAs on it (per identity).
      createTask: ["cloudtasks.tasks.create"],
    },
  },
} as const satisfies Record<string, AdapterSpec>;
export type AdapterModule = keyof typeof adapters;

/** Adapters every function's bundle carries, because the shared runtime builds them (used or not). */
export const runtimeAdapters: readonly AdapterModule[] = [
  "shared/gcs-blob-store.ts",
  "shared/pubsub-publisher.ts",
];

export type AdapterUse = {
  [M in AdapterModule]?: ReadonlyArray<keyof (typeof adapters)[M]["calls"] & string>;
};

export interface IdentitySpec {
  /** The service account id (6–30 characters). */
  accountId: string;
  description: string;
  /** The adapter methods this identity's code calls; its grants must cover their permissions. */
  uses: AdapterUse;
  grants: readonly Grant[];
}

const bucketGrant = (prefix: string, permissions: readonly string[], why: string): Grant => ({
  scope: { kind: "bucket-prefix", value: prefix },
  permissions,
  why,
});
const publishGrant = (topic: TopicName, why: string): Grant => ({
  scope: { kind: "topic", value: topic },
  permissions: ["pubsub.topics.publish"],
  why,
});
const projectGrant = (permissions: readonly string[], why: string): Grant => ({
  scope: { kind: "project" },
  permissions,
  why,
});

const get = ["storage.objects.get"] as const;
const read = ["storage.objects.get", "storage.objects.list"] as const;
const create = ["storage.objects.create"] as const;
// Rewriting an object in place (a claim takeover, an index updated under ifGenerationMatch) needs delete too.
const rewrite = ["storage.objects.create", "storage.objects.delete", "storage.objects.get"] as const;

// Every step claims its idempotency key and appends to the ledger; the ledger grant never includes delete.
const stepBasics = (fn: FunctionName): Grant[] => [
  bucketGrant(claimPrefix(fn), rewrite, "claim, complete, take over and release its own step claims"),
  bucketGrant(Prefix.ledger, create, "append create-only ledger records"),
];

const blobCalls = ["bucket", "file", "getMetadata", "download", "save", "delete"] as const;
const publishCalls = ["publish"] as const;

/** The table: each identity's grants, and the adapter methods its code calls. */
export const permissionTable = {
  githubWebhook: {
    accountId: "mg-github-webhook",
    description: "HTTP ingress for GitHub push and tag deliveries",
    uses: { "shared/gcs-blob-store.ts": blobCalls, "shared/pubsub-publisher.ts": publishCalls },
    grants: [
      ...stepBasics(FunctionName.githubWebhook),
      ...secretGrants(FunctionName.githubWebhook),
      bucketGrant(Prefix.pushes, create, "note each commit pushed to a model's branch, create-only"),
      bucketGrant(Prefix.promotions, rewrite, "keep each promotion tag's latest push, to refuse replays"),
      publishGrant(Topic.trainingRequested, "a push that touches a model's paths retrains it"),
      publishGrant(Topic.deploymentRequested, "a promotion tag deploys a registered version"),
      publishGrant(Topic.releasesRequested, "a push that changes the releases file applies it"),
    ],
  },
  tektonEvents: {
    accountId: "mg-tekton-events",
    description: "HTTP ingress: Tekton's CloudEvents sink",
    uses: { "shared/gcs-blob-store.ts": blobCalls, "shared/pubsub-publisher.ts": publishCalls },
    grants: [
      ...stepBasics(FunctionName.tektonEvents),
      ...secretGrants(FunctionName.tektonEvents),
      bucketGrant(Prefix.models, get, "re-read the artifact's modelgate.json: the event is only a hint"),
      bucketGrant(Prefix.pushes, get, "train only a commit githubWebhook saw pushed to the model's branch"),
      publishGrant(Topic.trainingRequested, "a successful build run that asks for training"),
      publishGrant(Topic.artifactReady, "a successful run that wrote a model artifact"),
    ],
  },
  fluxEvents: {
    accountId: "mg-flux-events",
    description: "HTTP ingress: Flux notification-controller events (generic-hmac)",
    uses: { "shared/gcs-blob-store.ts": blobCalls, "shared/pubsub-publisher.ts": publishCalls },
    grants: [
      ...stepBasics(FunctionName.fluxEvents),
      ...secretGrants(FunctionName.fluxEvents),
      publishGrant(Topic.releasesRequested, "a reconciled revision applies its releases file"),
    ],
  },
  artifactUploaded: {
    accountId: "mg-artifact-uploaded",
    description: "Eventarc: bucket finalize of models/<model>/<commit>/modelgate.json",
    uses: { "shared/gcs-blob-store.ts": blobCalls, "shared/pubsub-publisher.ts": publishCalls },
    grants: [
      ...stepBasics(FunctionName.artifactUploaded),
      bucketGrant(Prefix.models, get, "re-read the finalized modelgate.json"),
      publishGrant(Topic.artifactReady, "announce the complete artifact"),
    ],
  },
  launchTraining: {
    accountId: "mg-launch-training",
    description: "Pub/Sub training-requested: starts a Vertex AI CustomJob",
    uses: {
      "shared/gcs-blob-store.ts": blobCalls,
      "shared/pubsub-publisher.ts": publishCalls,
      "shared/vertex/jobs-adapter.ts": ["createCustomJob", "listCustomJobs"],
    },
    grants: [
      ...stepBasics(FunctionName.launchTraining),
      projectGrant(
        ["aiplatform.customJobs.create", "aiplatform.customJobs.list"],
        "create the training job, after looking for one a previous attempt made (by label)",
      ),
      {
        scope: { kind: "service-account", value: Identity.trainer },
        permissions: ["iam.serviceAccounts.actAs"],
        why: "the CustomJob runs as the trainer account",
      },
      publishGrant(Topic.githubNotifications, "the training commit status: pending while the job runs"),
    ],
  },
  registerModel: {
    accountId: "mg-register-model",
    description: "Pub/Sub artifact-ready: uploads a Model Registry version",
    uses: {
      "shared/gcs-blob-store.ts": blobCalls,
      "shared/pubsub-publisher.ts": publishCalls,
      // uploadVersion reads the new version back (getModel); aliases are set in the upload itself.
      "shared/vertex/models-adapter.ts": ["listModels", "listModelVersions", "getModel", "uploadModel"],
    },
    grants: [
      ...stepBasics(FunctionName.registerModel),
      bucketGrant(Prefix.models, get, "read modelgate.json: metrics, serving container, baseline"),
      bucketGrant(
        Prefix.registry,
        rewrite,
        "record commit → version and update the model's versions.json index, for CI without Vertex rights",
      ),
      projectGrant(
        ["aiplatform.models.get", "aiplatform.models.list", "aiplatform.models.upload"],
        "find the parent model and earlier versions by label, upload the version with its aliases",
      ),
      publishGrant(Topic.deploymentRequested, "auto-deploy policies deploy every registered version"),
      publishGrant(Topic.githubNotifications, "the training commit status: success once registered"),
    ],
  },
  deployModel: {
    accountId: "mg-deploy-model",
    description: "Pub/Sub deployment-requested: canary on the endpoint",
    uses: {
      "shared/gcs-blob-store.ts": blobCalls,
      "shared/pubsub-publisher.ts": publishCalls,
      "shared/vertex/models-adapter.ts": ["listModels", "listModelVersions"],
      // updateEndpoint: a release-repair gives a declared version found without traffic its canary share.
      "shared/vertex/endpoints-adapter.ts": ["getEndpoint", "deployModel", "updateEndpoint"],
    },
    grants: [
      ...stepBasics(FunctionName.deployModel),
      bucketGrant(
        Prefix.registry,
        rewrite,
        "read and write the canary plan registry/<model>/deployments/<commit>.json under ifGenerationMatch",
      ),
      projectGrant(
        [
          "aiplatform.endpoints.deploy",
          "aiplatform.endpoints.get",
          "aiplatform.endpoints.update",
          "aiplatform.models.list",
        ],
        "find the registered version, deploy it with a deterministic id and the canary split; route a drift repair's canary share",
      ),
      publishGrant(Topic.deploymentReady, "hand the canary to verification"),
      publishGrant(Topic.githubNotifications, "the rollout's GitHub deployment: queued, then its first step"),
    ],
  },
  verifyDeployment: {
    accountId: "mg-verify-deployment",
    description: "Pub/Sub deployment-ready: golden set through the live endpoint",
    uses: {
      "shared/gcs-blob-store.ts": [...blobCalls, "getFiles", "createReadStream"],
      "shared/pubsub-publisher.ts": publishCalls,
      "shared/vertex/models-adapter.ts": ["getModel"],
      "shared/vertex/endpoints-adapter.ts": ["getEndpoint"],
      "shared/vertex/prediction-adapter.ts": ["predict", "explain"],
    },
    grants: [
      ...stepBasics(FunctionName.verifyDeployment),
      bucketGrant(Prefix.golden, read, "stream the labelled golden set"),
      bucketGrant(
        Prefix.models,
        read,
        "read the baseline distribution; resolve a short commit label by listing",
      ),
      bucketGrant(Prefix.registry, get, "read versions.json to find the serving version's commit"),
      bucketGrant(
        Prefix.reports,
        rewrite,
        "write the verification report (a redelivery rewrites it); read the earlier rollout steps' reports",
      ),
      projectGrant(
        [
          "aiplatform.endpoints.explain",
          "aiplatform.endpoints.get",
          "aiplatform.endpoints.predict",
          "aiplatform.models.get",
        ],
        "find the serving version on the endpoint and its recorded accuracy; predict through the live endpoint",
      ),
      publishGrant(Topic.verificationCompleted, "hand the verdict to rollout"),
      publishGrant(Topic.githubNotifications, "the verification commit status of each step"),
    ],
  },
  rolloutModel: {
    accountId: "mg-rollout-model",
    description: "Pub/Sub verification-completed: promote or roll back",
    uses: {
      "shared/gcs-blob-store.ts": blobCalls,
      "shared/pubsub-publisher.ts": publishCalls,
      "shared/vertex/models-adapter.ts": ["getModel", "mergeVersionAliases", "updateModel"],
      "shared/vertex/endpoints-adapter.ts": ["getEndpoint", "updateEndpoint", "undeployModel"],
      "shared/tasks/cloud-tasks-scheduler.ts": ["createTask"],
    },
    grants: [
      ...stepBasics(FunctionName.rolloutModel),
      publishGrant(Topic.deploymentReady, "hand the next rollout step without a bake to verification"),
      {
        scope: { kind: "queue", value: rolloutQueue.id },
        permissions: ["cloudtasks.tasks.create"],
        why: "schedule the next rollout step's verification after its bake",
      },
      {
        scope: { kind: "service-account", value: Identity.rolloutTasks },
        permissions: ["iam.serviceAccounts.actAs"],
        why: "the step's task calls advanceRollout with an OIDC token of the rollout-tasks account",
      },
      bucketGrant(Prefix.releases, rewrite, "record a release's outcome in its model's applied state"),
      publishGrant(
        Topic.githubNotifications,
        "report a release's outcome on its commit; the rollout's GitHub deployment status per step and at its end",
      ),
      projectGrant(
        [
          "aiplatform.endpoints.get",
          "aiplatform.endpoints.undeploy",
          "aiplatform.endpoints.update",
          "aiplatform.models.get",
          "aiplatform.models.update",
        ],
        "move traffic, undeploy the loser, move the alias, label a failed version",
      ),
    ],
  },
  advanceRollout: {
    accountId: "mg-advance-rollout",
    description: "HTTP (Cloud Tasks): a rollout step's bake is over",
    uses: { "shared/gcs-blob-store.ts": blobCalls, "shared/pubsub-publisher.ts": publishCalls },
    grants: [
      ...stepBasics(FunctionName.advanceRollout),
      publishGrant(Topic.deploymentReady, "hand the baked rollout step to verification"),
    ],
  },
  rolloutTasks: {
    accountId: "mg-rollout-tasks",
    description: "OIDC identity of the rollout queue's tasks: invokes advanceRollout, nothing else",
    uses: {},
    grants: [],
  },
  applyReleases: {
    accountId: "mg-apply-releases",
    description: "Pub/Sub releases-requested: applies a commit's releases file",
    uses: {
      "shared/gcs-blob-store.ts": blobCalls,
      "shared/pubsub-publisher.ts": publishCalls,
      "shared/vertex/endpoints-adapter.ts": ["getEndpoint"],
    },
    grants: [
      ...stepBasics(FunctionName.applyReleases),
      ...secretGrants(FunctionName.applyReleases),
      bucketGrant(
        Prefix.registry,
        get,
        "a declared commit must be registered: read the model's versions.json",
      ),
      bucketGrant(
        Prefix.releases,
        rewrite,
        "read and update each model's applied release under ifGenerationMatch",
      ),
      publishGrant(Topic.deploymentRequested, "deploy each release that changed"),
      projectGrant(
        ["aiplatform.endpoints.get"],
        "a release the endpoint already serves is recorded, not deployed",
      ),
    ],
  },
  reconcileEndpoints: {
    accountId: "mg-reconcile-endpoints",
    description: "Pub/Sub reconcile-requested: compares endpoints with their applied releases",
    uses: {
      "shared/gcs-blob-store.ts": [...blobCalls, "getFiles"],
      "shared/pubsub-publisher.ts": publishCalls,
      "shared/vertex/models-adapter.ts": ["listModels", "listModelVersions", "getModel"],
      "shared/vertex/endpoints-adapter.ts": ["getEndpoint"],
    },
    grants: [
      bucketGrant(
        claimPrefix(FunctionName.reconcileEndpoints),
        rewrite,
        "claim each run and each repair (one per drift observation)",
      ),
      bucketGrant(
        Prefix.ledger,
        [...create, ...read],
        "append create-only records; read a model's recent records, which explain modelgate's own changes",
      ),
      bucketGrant(Prefix.releases, read, "list and read each model's applied release"),
      projectGrant(
        ["aiplatform.endpoints.get", "aiplatform.models.get", "aiplatform.models.list"],
        "read each endpoint's deployed models and split, the declared version and the production alias",
      ),
      publishGrant(Topic.deploymentRequested, "repair drift through the chain (drift: repair)"),
    ],
  },
  notifyGithub: {
    accountId: "mg-notify-github",
    description: "Pub/Sub github-notifications: commit and deployment statuses as the GitHub App",
    uses: { "shared/gcs-blob-store.ts": blobCalls },
    grants: [...stepBasics(FunctionName.notifyGithub), ...secretGrants(FunctionName.notifyGithub)],
  },
  trainer: {
    accountId: "mg-trainer",
    description: "Vertex AI CustomJob and Tekton train-and-package: the only writer of models/",
    uses: {},
    grants: [
      bucketGrant(Prefix.datasets, read, "read training data"),
      bucketGrant(Prefix.models, [...read, ...create], "write model files, then modelgate.json last"),
    ],
  },
  githubActions: {
    accountId: "mg-github-actions",
    description: "GitHub Actions (Workload Identity Federation): reads results, never changes them",
    uses: {},
    grants: [
      bucketGrant(Prefix.registry, read, "which commit became which version"),
      bucketGrant(Prefix.reports, read, "verification reports for pull-request comments"),
      bucketGrant(Prefix.ledger, read, "`modelgate lineage` and `modelgate status` from CI"),
    ],
  },
} as const satisfies Record<Identity, IdentitySpec>;

/** Permissions that mean "can start training" and "can change what serves": no identity may hold both. */
export const trainingPermission = "aiplatform.customJobs.create";
export const deploymentPermission = "aiplatform.endpoints.deploy";

/**
 * Predefined roles modelgate grants because, on the resource they are granted on (a topic, a secret, a Cloud Run
 * service, a service account), they confer exactly these permissions. Google's catalogue lists more for some
 * (secretAccessor also names resourcemanager.projects.get/list, which a grant on a secret cannot confer); the
 * contract suite checks each entry against the catalogue (test/contract/iam-catalogue.test.ts).
 */
export const exactPredefinedRoles = {
  "roles/pubsub.publisher": ["pubsub.topics.publish"],
  "roles/secretmanager.secretAccessor": ["secretmanager.versions.access"],
  "roles/run.invoker": ["run.routes.invoke"],
  "roles/iam.workloadIdentityUser": [
    "iam.serviceAccounts.get",
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.getOpenIdToken",
  ],
} as const satisfies Record<string, readonly string[]>;

/** One permission held on one resource: the flat form the checks and the local enforcement compare. */
export interface Entitlement {
  identity: Identity;
  permission: string;
  scope: Scope;
}

/** A stable text form of a scope, e.g. `bucket-prefix:models/`. */
export function scopeKey(scope: Scope): string {
  return scope.kind === "project" ? "project" : `${scope.kind}:${scope.value}`;
}

/** The table flattened: one entry per identity, permission and scope. */
export function entitlements(identity?: Identity): Entitlement[] {
  const names = identity === undefined ? identityNames : [identity];
  return names.flatMap((name) =>
    (permissionTable[name].grants as readonly Grant[]).flatMap((grant) =>
      grant.permissions.map((permission) => ({ identity: name, permission, scope: grant.scope })),
    ),
  );
}

/** Every permission an identity holds, anywhere, sorted. */
export function permissionsOf(identity: Identity): string[] {
  return [...new Set(entitlements(identity).map((e) => e.permission))].sort();
}

/**
 * Whether the table lets `identity` use `permission` on a resource. Bucket objects are `{bucket prefix match}`
 * by object name, topics by short name, the trainer account by identity; project grants match any resource.
 * This is the question local identity enforcement and `modelgate doctor` ask.
 */
export function allows(
  identity: Identity,
  permission: string,
  resource: { kind: ScopeKind; value?: string },
): boolean {
  return entitlements(identity).some((e) => {
    if (e.permission !== permission) return false;
    if (e.scope.kind === "project") return true;
    if (e.scope.kind !== resource.kind || resource.value === undefined) return false;
    return e.scope.kind === "bucket-prefix"
      ? resource.value.startsWith(e.scope.value)
      : resource.value === e.scope.value;
  });
}

/** The permissions an identity's declared adapter calls need. */
export function requiredByCalls(identity: Identity): string[] {
  const uses = permissionTable[identity].uses as AdapterUse;
  const needed = new Set<string>();
  for (const [module, methods] of Object.entries(uses) as Array<[AdapterModule, readonly string[]]>) {
    const calls = adapters[module].calls as Readonly<Record<string, readonly string[]>>;
    for (const method of methods) for (const permission of calls[method] ?? []) needed.add(permission);
  }
  return [...needed].sort();
}

/** The adapter modules an identity's function bundle may contain: what it uses plus the shared runtime's. */
export function allowedAdapters(identity: Identity): AdapterModule[] {
  const used = Object.keys(permissionTable[identity].uses) as AdapterModule[];
  return [...new Set<AdapterModule>([...runtimeAdapters, ...used])].sort();
}

/** The Vertex AI client modules (`build/src/v1/<name>.js`) an identity's bundle may contain. */
export function allowedVertexClients(identity: Identity): string[] {
  return [...new Set(allowedAdapters(identity).flatMap((m) => [...adapters[m].clientModules]))].sort();
}
