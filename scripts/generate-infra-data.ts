// Writes infra/modules/modelgate/modelgate.generated.json from shared/topology.ts and shared/permissions.ts, so
// Terraform creates exactly the topics, subscriptions, delivery policy, accounts and grants the code defines.
// `npx tsx scripts/generate-infra-data.ts` writes it; `--check` exits 1 when the committed file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { instanceMemory, nodeOptions } from "../shared/function-runtime.js";
import {
  exactPredefinedRoles,
  type Grant,
  type Identity,
  identityNames,
  permissionTable,
  Secret,
} from "../shared/permissions.js";
import {
  consumerOf,
  deadLetterSubscriptionFor,
  deadLetterTopic,
  deliveryPolicy,
  type FunctionName,
  functionFolder,
  functionNames,
  subscriptionFor,
  topicNames,
} from "../shared/topology.js";

export const infraDataPath = fileURLToPath(
  new URL("../infra/modules/modelgate/modelgate.generated.json", import.meta.url),
);

/** How each function is invoked: HTTP ingress, Eventarc bucket finalize, or a push subscription on its topic. */
export function triggerOf(name: FunctionName): { kind: "http" | "storage" | "pubsub"; topic?: string } {
  if (name === "githubWebhook" || name === "tektonEvents") return { kind: "http" };
  if (name === "artifactUploaded") return { kind: "storage" };
  const topic = topicNames.find((t) => consumerOf[t] === name);
  if (!topic) throw new Error(`function ${name} has neither an HTTP, storage nor Pub/Sub trigger`);
  return { kind: "pubsub", topic };
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

const pascal = (name: string) => name.replace(/^./, (c) => c.toUpperCase());

/** Everything Terraform needs from the code, as plain JSON with snake_case keys. */
export function infraData() {
  const customRoles: Record<string, { role_id: string; title: string; permissions: string[] }> = {};
  const projectGrants: Record<string, { identity: Identity; role: string }> = {};
  const bucketGrants: Record<
    string,
    { identity: Identity; role: string; prefix: string; condition: string }
  > = {};
  const topicGrants: Record<string, { identity: Identity; topic: string; role: string }> = {};
  const accountGrants: Record<string, { identity: Identity; target: Identity; role: string }> = {};
  const secretGrants: Record<string, { identity: Identity; secret: string; role: string }> = {};
  const exactRole = (permissions: readonly string[]) =>
    Object.entries(exactPredefinedRoles).find(
      ([, held]) => [...held].sort().join() === [...permissions].sort().join(),
    )?.[0];
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
          const role = exactRole(permissions);
          if (!role) throw new Error(`no exact role for ${permissions.join(", ")} on a topic`);
          topicGrants[`${identity}:${grant.scope.value}`] = { identity, topic: grant.scope.value, role };
          break;
        }
        case "service-account": {
          const role = customRole("modelgateActAs", "modelgateActAs", "modelgate act as", permissions);
          accountGrants[`${identity}:${grant.scope.value}`] = { identity, target: grant.scope.value, role };
          break;
        }
        case "secret": {
          const role = exactRole(permissions);
          if (!role) throw new Error(`no exact role for ${permissions.join(", ")} on a secret`);
          secretGrants[`${identity}:${grant.scope.value}`] = { identity, secret: grant.scope.value, role };
          break;
        }
        case "endpoint":
          throw new Error(
            "endpoint-scoped grants need the google-beta provider; modelgate grants Vertex AI per project",
          );
      }
    }
  }

  const functions = Object.fromEntries(
    functionNames.map((name) => {
      const trigger = triggerOf(name);
      const secrets = Object.values(Secret)
        .filter((s) =>
          (permissionTable[name].grants as readonly Grant[]).some(
            (g) => g.scope.kind === "secret" && g.scope.value === s.secretId,
          ),
        )
        .map((s) => [s.env, s.secretId]);
      return [
        name,
        {
          name: functionFolder(name),
          identity: name,
          trigger: trigger.kind,
          topic: trigger.topic ?? null,
          trigger_account_id: trigger.kind === "http" ? null : `${permissionTable[name].accountId}-trigger`,
          secrets: Object.fromEntries(secrets),
          memory: instanceMemory,
          node_options: nodeOptions[name] ?? "",
        },
      ];
    }),
  );

  return {
    _generated:
      "by scripts/generate-infra-data.ts from shared/topology.ts and shared/permissions.ts; do not edit",
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
    custom_roles: customRoles,
    project_grants: projectGrants,
    bucket_grants: bucketGrants,
    topic_grants: topicGrants,
    service_account_grants: accountGrants,
    secret_grants: secretGrants,
  };
}

export type InfraData = ReturnType<typeof infraData>;

/** The generated file's exact text (2-space JSON, trailing newline). */
export function infraDataText(): string {
  return `${JSON.stringify(infraData(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = infraDataText();
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
