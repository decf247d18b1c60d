// Writes infra/modules/modelgate/modelgate.generated.json from shared/topology.ts, shared/permissions.ts and
// modelgate.config.yaml, so Terraform creates exactly the topics, subscriptions, delivery policy, accounts, grants
// and Vertex AI endpoints the code and its configuration name. `npx tsx scripts/generate-infra-data.ts` writes it
// (`--config <file>` for another configuration than the repository's); `--check` exits 1 when it is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Config, parseConfig } from "../shared/config.js";
import { parseMessage } from "../shared/contracts.js";
import { secretFileVariable } from "../shared/ingress/env.js";
import {
  exactPredefinedRoles,
  type Grant,
  Identity,
  identityNames,
  permissionTable,
} from "../shared/permissions.js";
import type { FunctionDeclaration } from "../shared/topology.js";
import {
  consumerOf,
  deadLetterSubscriptionFor,
  deadLetterTopic,
  functions as declared,
  deliveryPolicy,
  type FunctionName,
  functionFolder,
  functionNames,
  Ingress,
  type Invoker,
  invokerOf,
  rolloutQueue,
  Secret,
  subscriptionFor,
  Topic,
  topicNames,
} from "../shared/topology.js";

export const infraDataPath = fileURLToPath(
  new URL("../infra/modules/modelgate/modelgate.generated.json", import.meta.url),
);

/** The configuration `npm run build` bundles into every function by default. */
export const defaultConfigFile = fileURLToPath(new URL("../modelgate.config.yaml", import.meta.url));

/** Cloud Functions ingress settings for each ingress of shared/topology.ts. */
const ingressSettings = {
  [Ingress.public]: "ALLOW_ALL",
  [Ingress.internal]: "ALLOW_INTERNAL_ONLY",
} as const satisfies Record<Ingress, string>;

/** Where a function's secret volume is mounted; each secret has its own directory (a mount shadows it). */
export function secretMountPath(secretId: string): string {
  return `/etc/secrets/${secretId}`;
}

/** The file inside the mount that holds the secret's latest version. */
export const secretFileName = "latest";

/**
 * An endpoint id Vertex AI accepts in CreateEndpoint (CreateEndpointRequest.endpoint_id): a letter, then up to 62
 * of [a-z0-9-] ending in a letter or digit; or 1 to 9 digits without a leading zero.
 */
const creatableEndpointId = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$|^[1-9][0-9]{0,8}$/;

/**
 * One Vertex AI endpoint per distinct `endpoint:` of the configuration, with the models it serves. Its id is the
 * configured value, which shared/config.ts's endpointName resolves deployModel's endpoint from, so Terraform
 * creates the endpoint the code looks for.
 */
export function endpointsOf(config: Config): Record<string, { display_name: string; models: string[] }> {
  const endpoints: Record<string, { display_name: string; models: string[] }> = {};
  for (const [model, settings] of Object.entries(config.models).sort(([a], [b]) => a.localeCompare(b))) {
    const id = settings.endpoint;
    if (!creatableEndpointId.test(id)) {
      throw new Error(
        `models.${model}.endpoint: ${id} cannot be created with that id (Vertex AI takes a letter then [a-z0-9-] ending in a letter or digit, or 1 to 9 digits without a leading zero); a longer number is an id Vertex AI generated, so name the endpoint instead`,
      );
    }
    endpoints[id] ??= { display_name: `modelgate ${id}`, models: [] };
    endpoints[id].models.push(model);
  }
  return endpoints;
}

/** Reads and validates a configuration file, as the functions will at start. */
export function readConfigFile(path = defaultConfigFile): Config {
  return parseConfig(readFileSync(path, "utf8"), path);
}

/**
 * The one function Terraform's webhook_invoker_members may invoke (allUsers by default). That grant is keyed by
 * member, as the operator lists them, so it serves one public function; a second one needs its own variable.
 */
export function publicFunction(): FunctionName {
  return onlyInvokedBy("public", "webhook_invoker_members");
}

/** The one function Terraform's signed_invoker_members may invoke (allUsers by default; fluxEvents), likewise. */
export function signedFunction(): FunctionName {
  return onlyInvokedBy("signed", "signed_invoker_members");
}

function onlyInvokedBy(invoker: Invoker, variable: string): FunctionName {
  const [only, ...more] = functionNames.filter((name) => invokerOf(name) === invoker);
  if (!only || more.length > 0) {
    throw new Error(
      `${variable} serves exactly one ${invoker} function; shared/topology.ts declares ${[only, ...more].filter(Boolean).join(", ") || "none"}`,
    );
  }
  return only;
}

/** The bucket IAM condition for a prefix; listing is authorised on the bucket, by the requested list prefix. */
export function prefixCondition(prefix: string, lists: boolean): string {
  const objects = `resource.name.startsWith("projects/_/buckets/{bucket}/objects/${prefix}")`;
  return lists
    ? `${objects} || api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("${prefix}")`
    : objects;
}

const verbs = (permissions: readonly string[]) =>
  permissions.map((p) => (p.split(".").at(-1) ?? p).replace(/^./, (c) => c.toUpperCase())).join("");

/** A custom role id for a set of object permissions, e.g. `modelgateObjectsGetList`. */
function objectRoleId(permissions: readonly string[]): string {
  return `modelgateObjects${verbs(permissions)}`;
}

/** The predefined role that holds exactly these permissions; there must be one. */
function exactRole(permissions: readonly string[], on: string): string {
  const wanted = [...permissions].sort().join();
  const role = Object.entries(exactPredefinedRoles).find(
    ([, held]) => [...held].sort().join() === wanted,
  )?.[0];
  if (!role) throw new Error(`no exact role for ${permissions.join(", ")} on ${on}`);
  return role;
}

const pascal = (name: string) => name.replace(/^./, (c) => c.toUpperCase());

/** The custom roles and the grants of every identity, from the permission table, as Terraform's maps. */
function grantTables() {
  const customRoles: Record<string, { role_id: string; title: string; permissions: string[] }> = {};
  const projectGrants: Record<string, { identity: Identity; role: string }> = {};
  const bucketGrants: Record<
    string,
    { identity: Identity; role: string; prefix: string; condition: string }
  > = {};
  const topicGrants: Record<string, { identity: Identity; topic: string; role: string }> = {};
  const accountGrants: Record<string, { identity: Identity; target: Identity; role: string }> = {};
  const secretGrants: Record<string, { identity: Identity; secret: string; role: string }> = {};
  const queueGrants: Record<string, { identity: Identity; queue: string; role: string }> = {};
  const customRole = (key: string, roleId: string, title: string, permissions: readonly string[]) => {
    customRoles[key] ??= { role_id: roleId, title, permissions: [...permissions].sort() };
    return key;
  };

  for (const identity of identityNames) {
    for (const grant of permissionTable[identity].grants as readonly Grant[]) {
      const permissions = [...grant.permissions].sort();
      switch (grant.scope.kind) {
        case "project": {
          const roleId = `modelgate${pascal(identity)}`;
          const role = customRole(roleId, roleId, `modelgate ${identity}`, permissions);
          projectGrants[identity] = { identity, role };
          break;
        }
        case "bucket-prefix": {
          const roleId = objectRoleId(permissions);
          const role = customRole(
            roleId,
            roleId,
            `modelgate objects: ${permissions.join(", ")}`,
            permissions,
          );
          const prefix = grant.scope.value;
          bucketGrants[`${identity}:${prefix}`] = {
            identity,
            role,
            prefix,
            condition: prefixCondition(prefix, permissions.includes("storage.objects.list")),
          };
          break;
        }
        case "topic": {
          const role = exactRole(permissions, "a topic");
          topicGrants[`${identity}:${grant.scope.value}`] = { identity, topic: grant.scope.value, role };
          break;
        }
        case "service-account": {
          const role = customRole("modelgateActAs", "modelgateActAs", "modelgate act as", permissions);
          accountGrants[`${identity}:${grant.scope.value}`] = { identity, target: grant.scope.value, role };
          break;
        }
        case "secret": {
          const role = exactRole(permissions, "a secret");
          secretGrants[`${identity}:${grant.scope.value}`] = { identity, secret: grant.scope.value, role };
          break;
        }
        case "queue": {
          const roleId = `modelgateQueue${verbs(permissions)}`;
          const role = customRole(roleId, roleId, `modelgate queue: ${permissions.join(", ")}`, permissions);
          queueGrants[`${identity}:${grant.scope.value}`] = { identity, queue: grant.scope.value, role };
          break;
        }
        case "endpoint":
          throw new Error(
            "endpoint-scoped grants need the google-beta provider; modelgate grants Vertex AI per project",
          );
      }
    }
  }
  return {
    custom_roles: customRoles,
    project_grants: projectGrants,
    bucket_grants: bucketGrants,
    topic_grants: topicGrants,
    service_account_grants: accountGrants,
    secret_grants: secretGrants,
    queue_grants: queueGrants,
  };
}

/** Whether a function's code creates Cloud Tasks tasks (its identity calls the tasks adapter). */
function schedulesTasks(name: FunctionName): boolean {
  return "shared/tasks/cloud-tasks-scheduler.ts" in permissionTable[name].uses;
}

/** The function the queue's tasks call: the one whose invoker is the tasks identity. */
function tasksTarget(): FunctionName {
  const targets = functionNames.filter((name) => invokerOf(name) === "tasks");
  if (targets.length !== 1)
    throw new Error(`expected one function invoked by tasks, found ${targets.join(", ")}`);
  return targets[0] as FunctionName;
}

/** Each function as Terraform creates it, from its declaration in shared/topology.ts. */
function functionsData() {
  return Object.fromEntries(
    functionNames.map((name) => {
      const declaration = declared[name];
      const trigger: FunctionDeclaration["trigger"] = declaration.trigger;
      const secrets = declaration.secrets.map((s) => [
        s.secretId,
        {
          env: secretFileVariable(s.env),
          mount_path: secretMountPath(s.secretId),
          path: secretFileName,
          file: `${secretMountPath(s.secretId)}/${secretFileName}`,
        },
      ]);
      return [
        name,
        {
          name: functionFolder(name),
          identity: name,
          trigger: trigger.kind,
          topic: trigger.kind === "pubsub" ? trigger.topic : null,
          invoker: invokerOf(name),
          trigger_account_id: trigger.kind === "http" ? null : `${permissionTable[name].accountId}-trigger`,
          ingress_settings: ingressSettings[declaration.ingress],
          secrets: Object.fromEntries(secrets),
          memory: declaration.memory,
          timeout_seconds: declaration.timeoutSeconds,
          node_options: declaration.nodeOptions,
          schedules_tasks: schedulesTasks(name),
        },
      ];
    }),
  );
}

/**
 * What Cloud Scheduler publishes to start a reconcile: the same bytes every run (a job's message is fixed), valid
 * against the ReconcileRequested contract; runs are told apart by their message ids.
 */
function reconcileSchedule() {
  const message = parseMessage(Topic.reconcileRequested, {
    schemaVersion: 1,
    trigger: "schedule",
    requestedBy: "cloud-scheduler",
  });
  return { topic: Topic.reconcileRequested, data: JSON.stringify(message) };
}

/** Everything Terraform needs from the code, as plain JSON with snake_case keys. */
export function infraData(config: Config = readConfigFile()) {
  const functions = functionsData();
  return {
    _generated:
      "by scripts/generate-infra-data.ts from shared/topology.ts, shared/permissions.ts and modelgate.config.yaml; do not edit",
    config: { project: config.project, region: config.region, bucket: config.bucket },
    identities: Object.fromEntries(
      identityNames.map((identity) => [
        identity,
        {
          account_id: permissionTable[identity].accountId,
          description: permissionTable[identity].description,
        },
      ]),
    ),
    functions,
    triggered_functions: Object.fromEntries(
      Object.entries(functions)
        .filter(([, f]) => f.trigger !== "http")
        .map(([name, f]) => [name, { account_id: f.trigger_account_id, trigger: f.trigger }]),
    ),
    public_function: publicFunction(),
    tasks_target: tasksTarget(),
    tasks_functions: Object.fromEntries(
      Object.entries(functions)
        .filter(([, f]) => f.invoker === "tasks")
        .map(([name]) => [name, { identity: Identity.rolloutTasks }]),
    ),
    queues: {
      [rolloutQueue.id]: {
        id: rolloutQueue.id,
        max_attempts: rolloutQueue.maxAttempts,
        min_backoff: `${rolloutQueue.minBackoffSeconds}s`,
        max_backoff: `${rolloutQueue.maxBackoffSeconds}s`,
        max_doublings: 6,
      },
    },
    signed_function: signedFunction(),
    forwarder_functions: Object.fromEntries(
      Object.entries(functions)
        .filter(([, f]) => f.invoker === "forwarder")
        .map(([name]) => [name, { identity: name }]),
    ),
    topics: Object.fromEntries(
      topicNames.map((topic) => [
        topic,
        {
          consumer: consumerOf[topic],
          subscription: subscriptionFor(topic),
          dead_letter_topic: deadLetterTopic(topic),
          dead_letter_subscription: deadLetterSubscriptionFor(topic),
        },
      ]),
    ),
    delivery_policy: {
      max_delivery_attempts: deliveryPolicy.maxDeliveryAttempts,
      minimum_backoff: `${deliveryPolicy.minimumBackoffSeconds}s`,
      maximum_backoff: `${deliveryPolicy.maximumBackoffSeconds}s`,
      ack_deadline_seconds: deliveryPolicy.ackDeadlineSeconds,
    },
    secrets: Object.fromEntries(Object.values(Secret).map((s) => [s.secretId, { env: s.env }])),
    reconcile_schedule: reconcileSchedule(),
    endpoints: endpointsOf(config),
    ...grantTables(),
  };
}

export type InfraData = ReturnType<typeof infraData>;

/** The generated file's exact text (2-space JSON, trailing newline). */
export function infraDataText(config: Config = readConfigFile()): string {
  return `${JSON.stringify(infraData(config), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const configAt = process.argv.indexOf("--config");
  const configFile = configAt > 0 ? process.argv[configAt + 1] : defaultConfigFile;
  if (configFile === undefined) {
    console.error("--config needs the path of a modelgate.config.yaml");
    process.exit(2);
  }
  const text = infraDataText(readConfigFile(configFile));
  if (process.argv.includes("--check")) {
    const current = readFileSync(infraDataPath, "utf8");
    if (current !== text) {
      console.error(`${infraDataPath} is stale: run npx tsx scripts/generate-infra-data.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(infraDataPath, text);
    console.log(`wrote ${infraDataPath}`);
  }
}
