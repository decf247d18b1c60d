/**
 * Checks modelgate's Terraform (parsed to JSON by @cdktf/hcl2json) against the permission table: every function
 * has its own account, each account's grants are exactly the table's, no account can both train and deploy,
 * bucket grants carry prefix conditions, invokers are the triggers' own accounts, and no forbidden role,
 * resource or public member appears. It evaluates the small expression subset the module uses (`for_each` over
 * `local.data.*`, `each.key`, `each.value.*`, indexed references) and treats anything else as opaque, so a grant
 * that cannot be attributed still counts against the account it names. Only the tests run it (it lives beside them).
 */

import {
  type AdapterSpec,
  adapters,
  allowedAdapters,
  allowedVertexClients,
  deploymentPermission,
  entitlements,
  exactPredefinedRoles,
  Identity,
  identityNames,
  type Scope,
  scopeKey,
  trainingPermission,
} from "../../../shared/permissions.js";
import { type FunctionName, functionNames, type Invoker, type TopicName } from "../../../shared/topology.js";
import { effectivePermissions, type GrantTarget, type IamCatalogue } from "./iam-catalogue.js";

/** hcl2json's shape for a module: `resource.<type>.<name>` is a list of block bodies. */
export interface ParsedTerraform {
  resource?: Record<string, Record<string, Array<Record<string, unknown>>>>;
  data?: Record<string, Record<string, Array<Record<string, unknown>>>>;
  [key: string]: unknown;
}

/** The generated data file (infra/modules/modelgate/modelgate.generated.json), loosely typed. */
export type InfraDataJson = Record<string, unknown>;

export interface Finding {
  rule: string;
  message: string;
  /** `type.name`, when the finding is about one resource. */
  resource?: string;
}

export const forbiddenRoles = [
  "roles/owner",
  "roles/editor",
  "roles/viewer",
  "roles/aiplatform.admin",
  "roles/aiplatform.user",
] as const;
export const forbiddenResources = ["google_service_account_key"] as const;
const publicMembers = ["allUsers", "allAuthenticatedUsers"];
/** The module variable listing githubWebhook's invokers (infra/modules/modelgate/variables.tf). */
const webhookInvokerVariable = "webhook_invoker_members";
const signedInvokerVariable = "signed_invoker_members";
/** The variable that lists the invokers of each function the operator chooses them for. */
const invokerVariables: Partial<Record<Invoker, string>> = {
  public: webhookInvokerVariable,
  signed: signedInvokerVariable,
};

/** Parses every `.tf` file of a module directory with @cdktf/hcl2json (a dev dependency, loaded on demand). */
export async function loadTerraformModule(directory: string): Promise<ParsedTerraform> {
  const { readdir, readFile } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const { parse } = await import("@cdktf/hcl2json");
  const files = (await readdir(directory)).filter((f) => f.endsWith(".tf")).sort();
  const parsed = await Promise.all(
    files.map(async (f) => (await parse(f, await readFile(join(directory, f), "utf8"))) as ParsedTerraform),
  );
  return mergeTerraform(parsed);
}

/** Merges several parsed .tf files into one module (hcl2json parses one file at a time). */
export function mergeTerraform(files: readonly ParsedTerraform[]): ParsedTerraform {
  const merged: Required<Pick<ParsedTerraform, "resource" | "data">> = { resource: {}, data: {} };
  for (const file of files) {
    for (const section of ["resource", "data"] as const) {
      for (const [type, blocks] of Object.entries(file[section] ?? {})) {
        const target = merged[section];
        target[type] = { ...(target[type] ?? {}), ...blocks };
      }
    }
  }
  return merged;
}

type Each = { key: string; value: unknown } | undefined;

interface Instance {
  address: string;
  type: string;
  body: Record<string, unknown>;
  each: Each;
}

/** A grant as Terraform would make it, attributed to a principal. */
interface EffectiveGrant {
  principal: string;
  role: string;
  permissions: readonly string[] | undefined;
  scope: Scope | { kind: "other"; value: string };
  address: string;
  condition?: string;
}

const iamMemberTypes: Record<
  string,
  "project" | "bucket" | "topic" | "service-account" | "secret" | "invoker" | "subscription" | "queue"
> = {
  google_cloud_tasks_queue_iam_member: "queue",
  google_project_iam_member: "project",
  google_storage_bucket_iam_member: "bucket",
  google_pubsub_topic_iam_member: "topic",
  google_service_account_iam_member: "service-account",
  google_secret_manager_secret_iam_member: "secret",
  google_pubsub_subscription_iam_member: "subscription",
  google_cloud_run_service_iam_member: "invoker",
  google_cloud_run_v2_service_iam_member: "invoker",
  google_cloudfunctions2_function_iam_member: "invoker",
};

/** What the checks may consult beyond the module and the table. */
export interface InfraCheckOptions {
  /**
   * Google's IAM catalogue: predefined roles are expanded from it (only the permissions that take effect on the
   * resource granted on). Without it, only the roles in `exactPredefinedRoles` are known.
   */
  catalogue?: IamCatalogue;
}

/** Runs every check; an empty list means the Terraform matches the permission table. */
export function checkInfrastructure(
  terraform: ParsedTerraform,
  data: InfraDataJson,
  options: InfraCheckOptions = {},
): Finding[] {
  const findings: Finding[] = [];
  const instances = expandResources(terraform, data);

  for (const type of forbiddenResources) {
    for (const name of Object.keys(terraform.resource?.[type] ?? {})) {
      findings.push({
        rule: "forbidden-resource",
        resource: `${type}.${name}`,
        message: `${type}.${name}: service-account keys are forbidden; use Workload Identity Federation`,
      });
    }
  }
  for (const { path, value } of stringsIn({ resource: terraform.resource, data })) {
    for (const role of forbiddenRoles) {
      if (value === role || new RegExp(`${role.replace(/\./g, "\\.")}(?![\\w.])`).test(value)) {
        findings.push({
          rule: "forbidden-role",
          message: `${path} grants ${role}, which modelgate never grants`,
        });
      }
    }
  }

  const roles = customRoles(instances);
  const grants = instances.flatMap((i) => grantsOf(i, roles, options.catalogue, data));

  for (const grant of grants) {
    if (publicMembers.includes(grant.principal)) {
      const publicInvoker =
        grant.scope.kind === "other" &&
        grant.scope.value.startsWith("invoker:") &&
        invokerVariables[declaredInvoker(data, grant.scope.value.slice("invoker:".length)) ?? "trigger"] !==
          undefined &&
        grant.role === "roles/run.invoker";
      if (!publicInvoker) {
        findings.push({
          rule: "public-member",
          resource: grant.address,
          message: `${grant.address} grants ${grant.role} to ${grant.principal}; only a public or signed function's invoker may be public`,
        });
      }
    }
    if (grant.scope.kind === "bucket-prefix" && grant.scope.value === "") {
      findings.push({
        rule: "bucket-prefix",
        resource: grant.address,
        message: `${grant.address} grants ${grant.role} to ${describe(grant.principal)} on the whole artifact bucket; bucket grants need a prefix condition`,
      });
    }
  }

  findings.push(...checkAccounts(instances, data));
  findings.push(...checkInvokers(grants, data));

  for (const identity of identityNames) {
    const principal = `identity:${identity}`;
    const held = new Map<string, { address: string; role: string }>();
    // Invoking a function is the topology's to declare (a tasks-invoked function's invoker is an identity):
    // the invoker rule above checks those grants, not the permission table.
    const invokes = (g: EffectiveGrant) =>
      g.scope.kind === "other" && scopeText(g.scope).startsWith("invoker:");
    for (const grant of grants.filter((g) => g.principal === principal && !invokes(g))) {
      if (grant.permissions === undefined) {
        findings.push({
          rule: "grants-equal-table",
          resource: grant.address,
          message: `over-granted: ${identity} holds ${grant.role} (${grant.address}), a role whose permissions the table does not know`,
        });
        continue;
      }
      for (const permission of grant.permissions)
        held.set(`${permission}@${scopeText(grant.scope)}`, { address: grant.address, role: grant.role });
    }
    const expected = new Set(entitlements(identity).map((e) => `${e.permission}@${scopeKey(e.scope)}`));
    for (const [key, { address, role }] of held) {
      if (!expected.has(key)) {
        const [permission, scope] = key.split("@");
        const via = role.startsWith("roles/") ? ` via ${role}` : "";
        findings.push({
          rule: "grants-equal-table",
          resource: address,
          message: `over-granted: ${identity} holds ${permission} on ${scope}${via} (${address}), which the permission table does not grant`,
        });
      }
    }
    for (const key of expected) {
      if (!held.has(key)) {
        const [permission, scope] = key.split("@");
        findings.push({
          rule: "grants-equal-table",
          message: `missing: ${identity} should hold ${permission} on ${scope} but no Terraform grant gives it`,
        });
      }
    }
    const permissions = new Set([...held.keys()].map((k) => k.split("@")[0]));
    if (permissions.has(trainingPermission) && permissions.has(deploymentPermission)) {
      findings.push({
        rule: "train-deploy-separation",
        message: `${identity} holds both ${trainingPermission} and ${deploymentPermission}: no account may both train and deploy`,
      });
    }
  }
  return findings;
}

function checkAccounts(instances: Instance[], data: InfraDataJson): Finding[] {
  const findings: Finding[] = [];
  const identities = record(data.identities);
  const accountOf = new Map<string, string>();
  for (const identity of identityNames) {
    const accountId = str(record(identities[identity]).account_id);
    if (!accountId) {
      findings.push({
        rule: "own-account",
        message: `${identity} has no service account in the generated data`,
      });
      continue;
    }
    const other = accountOf.get(accountId);
    if (other)
      findings.push({
        rule: "own-account",
        message: `shared account: ${other} and ${identity} both use ${accountId}`,
      });
    accountOf.set(accountId, identity);
  }
  const accounts = instances.filter(
    (i) => i.type === "google_service_account" && i.address.startsWith("google_service_account.identity"),
  );
  for (const identity of identityNames) {
    const instance = accounts.find((a) => a.each?.key === identity);
    if (!instance) {
      findings.push({
        rule: "own-account",
        message: `${identity}: google_service_account.identity has no instance for it`,
      });
    } else if (
      evaluate(instance.body.account_id, instance.each) !== str(record(identities[identity]).account_id)
    ) {
      findings.push({
        rule: "own-account",
        resource: instance.address,
        message: `${identity}: ${instance.address} does not use the table's account id`,
      });
    }
  }
  const runsAs = new Map<string, string>();
  const functions = instances.filter((i) => i.type === "google_cloudfunctions2_function");
  for (const fn of functionNames) {
    const instance = functions.find((f) => f.each?.key === fn);
    if (!instance) {
      findings.push({
        rule: "own-account",
        message: `${fn}: no google_cloudfunctions2_function instance deploys it`,
      });
      continue;
    }
    const serviceConfig = first(instance.body.service_config);
    const account = identityIn(str(serviceConfig?.service_account_email), instance.each);
    if (account !== fn) {
      findings.push({
        rule: "own-account",
        resource: instance.address,
        message: `${fn} runs as ${account ?? "an account outside the table"}, not its own service account`,
      });
    }
    if (account) {
      const other = runsAs.get(account);
      if (other)
        findings.push({
          rule: "own-account",
          resource: instance.address,
          message: `shared account: ${other} and ${fn} both run as ${account}`,
        });
      runsAs.set(account, fn);
    }
  }
  return findings;
}

/** The invoker shared/topology.ts declares for `fn`, as the generated data carries it. */
function declaredInvoker(data: InfraDataJson, fn: string): Invoker | undefined {
  return record(record(data.functions)[fn]).invoker as Invoker | undefined;
}

function checkInvokers(grants: EffectiveGrant[], data: InfraDataJson): Finding[] {
  const findings: Finding[] = [];
  for (const grant of grants) {
    const target = scopeText(grant.scope);
    if (grant.scope.kind !== "other" || !target.startsWith("invoker:")) continue;
    const fn = target.slice("invoker:".length);
    const invoker = declaredInvoker(data, fn);
    const allowed =
      invoker === "trigger"
        ? grant.principal === `trigger:${fn}`
        : invoker === "public" || invoker === "signed"
          ? grant.principal === "allUsers" || grant.principal === `var.${invokerVariables[invoker]}`
          : invoker === "forwarder"
            ? grant.principal === "tekton_sink"
            : invoker === "tasks"
              ? grant.principal === `identity:${Identity.rolloutTasks}`
              : false;
    if (!allowed) {
      findings.push({
        rule: "invoker",
        resource: grant.address,
        message: `${grant.address}: ${describe(grant.principal)} may invoke ${fn}; only its trigger's account may`,
      });
    }
  }
  return findings;
}

function expandResources(terraform: ParsedTerraform, data: InfraDataJson): Instance[] {
  const out: Instance[] = [];
  for (const [type, blocks] of Object.entries(terraform.resource ?? {})) {
    for (const [name, bodies] of Object.entries(blocks)) {
      for (const body of bodies) {
        const forEach = body.for_each;
        const match = typeof forEach === "string" ? /^\$\{local\.data\.(\w+)\}$/.exec(forEach) : null;
        if (match?.[1]) {
          for (const [key, value] of Object.entries(record(data[match[1]]))) {
            out.push({ address: `${type}.${name}["${key}"]`, type, body, each: { key, value } });
          }
        } else if (forEach !== undefined) {
          // A for_each the checker cannot evaluate: one instance whose `each` is unknown.
          out.push({ address: `${type}.${name}[*]`, type, body, each: { key: "*", value: undefined } });
        } else {
          out.push({ address: `${type}.${name}`, type, body, each: undefined });
        }
      }
    }
  }
  return out;
}

function customRoles(instances: Instance[]): Map<string, readonly string[]> {
  const roles = new Map<string, readonly string[]>();
  for (const i of instances.filter((x) => x.type === "google_project_iam_custom_role" && x.each)) {
    const permissions = i.body.permissions;
    const resolved = Array.isArray(permissions) ? permissions.map(String) : evaluate(permissions, i.each);
    if (i.each && Array.isArray(resolved))
      roles.set(`${i.address.split("[")[0]}[${i.each.key}]`, resolved.map(String));
  }
  return roles;
}

function grantsOf(
  instance: Instance,
  roles: Map<string, readonly string[]>,
  catalogue: IamCatalogue | undefined,
  data: InfraDataJson,
): EffectiveGrant[] {
  const kind = iamMemberTypes[instance.type];
  if (!kind) return [];
  const { body, each, address } = instance;
  // The webhook's invokers are the operator's choice (allUsers by default): one principal standing for them all.
  const chosen = Object.values(invokerVariables).find((v) => body.for_each === `\${toset(var.${v})}`);
  const principal = chosen !== undefined ? `var.${chosen}` : principalOf(str(body.member), each);
  let scope: EffectiveGrant["scope"];
  let condition: string | undefined;
  switch (kind) {
    case "project":
      scope = { kind: "project" };
      break;
    case "bucket": {
      const bucket = str(body.bucket);
      condition = conditionOf(body, each);
      if (!bucket.includes("google_storage_bucket.artifacts")) {
        scope = { kind: "other", value: `bucket:${bucket}` };
        break;
      }
      const prefix = condition ? /\/objects\/([^"]*)"\)/.exec(condition)?.[1] : undefined;
      scope = { kind: "bucket-prefix", value: prefix ?? "" };
      break;
    }
    case "topic": {
      const ref = indexed(str(body.topic), "google_pubsub_topic.topic", each);
      scope = ref
        ? { kind: "topic", value: ref as TopicName }
        : { kind: "other", value: `topic:${str(body.topic)}` };
      break;
    }
    case "service-account": {
      const target = identityIn(str(body.service_account_id), each);
      scope = target
        ? { kind: "service-account", value: target }
        : { kind: "other", value: `account:${str(body.service_account_id)}` };
      break;
    }
    case "secret": {
      const secret = indexed(str(body.secret_id), "google_secret_manager_secret.secret", each);
      scope = secret
        ? { kind: "secret", value: secret }
        : { kind: "other", value: `secret:${str(body.secret_id)}` };
      break;
    }
    case "invoker": {
      const service = str(body.service ?? body.name ?? body.cloud_function);
      // `function[local.data.public_function]`: a name the generated data gives.
      const fromData = /google_cloudfunctions2_function\.function\[local\.data\.(\w+)\]/.exec(service)?.[1];
      const fn = fromData
        ? str(data[fromData])
        : indexed(service, "google_cloudfunctions2_function.function", each);
      scope = { kind: "other", value: `invoker:${fn ?? service}` };
      break;
    }
    case "subscription":
      scope = { kind: "other", value: `subscription:${str(body.subscription)}` };
      break;
    case "queue": {
      const queue = indexed(str(body.name), "google_cloud_tasks_queue.queue", each);
      scope = queue ? { kind: "queue", value: queue } : { kind: "other", value: `queue:${str(body.name)}` };
      break;
    }
  }
  const target: GrantTarget =
    kind === "invoker"
      ? "cloud-run-service"
      : kind === "bucket"
        ? scope.kind === "bucket-prefix" && scope.value !== ""
          ? "bucket-prefix"
          : "bucket"
        : kind;
  const role = resolveRole(str(body.role), each, roles, (name) =>
    catalogue ? effectivePermissions(catalogue, name, target) : exactPredefined[name],
  );
  return [
    {
      principal,
      role: role.name,
      permissions: role.permissions,
      scope,
      address,
      ...(condition ? { condition } : {}),
    },
  ];
}

const exactPredefined: Readonly<Record<string, readonly string[]>> = exactPredefinedRoles;

function resolveRole(
  expression: string,
  each: Each,
  roles: Map<string, readonly string[]>,
  predefined: (role: string) => readonly string[] | undefined,
) {
  const custom = /google_project_iam_custom_role\.(\w+)\[(.+?)\]\.(?:id|name)/.exec(expression);
  if (custom?.[1] && custom[2]) {
    const key = keyOf(custom[2], each);
    const name = `google_project_iam_custom_role.${custom[1]}[${key ?? "?"}]`;
    return { name, permissions: key === undefined ? undefined : roles.get(name) };
  }
  const name = String(evaluate(expression, each) ?? expression);
  return { name, permissions: predefined(name) };
}

/** `identity:<name>`, `trigger:<fn>`, `tekton_sink`, or the member text itself. */
function principalOf(member: string, each: Each): string {
  const identity = identityIn(member, each);
  if (identity) return `identity:${identity}`;
  const trigger = indexed(member, "google_service_account.trigger", each);
  if (trigger) return `trigger:${trigger}`;
  if (member.includes("google_service_account.tekton_sink.")) return "tekton_sink";
  return String(evaluate(member, each) ?? member);
}

function describe(principal: string): string {
  return principal.replace(/^identity:/, "");
}

function identityIn(expression: string, each: Each): Identity | undefined {
  const name = indexed(expression, "google_service_account.identity", each);
  return name !== undefined && (identityNames as readonly string[]).includes(name)
    ? (name as Identity)
    : undefined;
}

/** The key of `<prefix>[KEY]` inside an expression, when KEY is a literal or `each.*`. */
function indexed(expression: string, prefix: string, each: Each): string | undefined {
  const escaped = prefix.replace(/\./g, "\\.");
  const match = new RegExp(`${escaped}\\[(.+?)\\]`).exec(expression);
  return match?.[1] ? keyOf(match[1], each) : undefined;
}

function keyOf(expression: string, each: Each): string | undefined {
  const literal = /^\\?"(.*?)\\?"$/.exec(expression.trim());
  if (literal) return literal[1];
  const value = evaluate(`\${${expression.trim()}}`, each);
  return typeof value === "string" ? value : undefined;
}

/** Evaluates `${each.key}`, `${each.value.a.b}`, `${replace(each.value.x, …)}` (as its first argument), or a literal. */
function evaluate(expression: unknown, each: Each): unknown {
  if (typeof expression !== "string") return expression;
  const whole = /^\$\{(.+)\}$/s.exec(expression);
  if (!whole?.[1]) return expression;
  const inner = whole[1].trim();
  if (inner === "each.key") return each?.key;
  const replaced = /^replace\((each\.value\.[\w.]+),/.exec(inner);
  const path = replaced?.[1] ?? (/^each\.value((?:\.\w+)*)$/.test(inner) ? inner : undefined);
  if (path === undefined) return undefined;
  let value: unknown = each?.value;
  for (const key of path.split(".").slice(2)) value = record(value)[key];
  return value;
}

function conditionOf(body: Record<string, unknown>, each: Each): string | undefined {
  const condition = first(body.condition) ?? first(record(first(record(body.dynamic).condition)).content);
  const expression = condition?.expression;
  if (expression === undefined) return undefined;
  const value = evaluate(expression, each);
  return typeof value === "string" ? value : str(expression);
}

function scopeText(scope: EffectiveGrant["scope"]): string {
  return scope.kind === "other" ? scope.value : scopeKey(scope);
}

/** Every string inside a parsed value, with its path (`resource.google_x.y[0].role`). */
export function* stringsIn(value: unknown, path = ""): Generator<{ path: string; value: string }> {
  if (typeof value === "string") yield { path, value };
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringsIn(v, `${path}[${i}]`);
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) yield* stringsIn(v, path ? `${path}.${k}` : k);
  }
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function first(value: unknown): Record<string, unknown> | undefined {
  return Array.isArray(value) ? record(value[0]) : undefined;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value);
}

const adapterModulePattern = /^shared\/(?:vertex\/[\w-]+-adapter|gcs-blob-store|pubsub-publisher)\.ts$/;
const vertexInputPattern =
  /node_modules\/@google-cloud\/aiplatform\/build\/src\/(?:(index)|v1\/(\w+_client))\.js$/;

/**
 * Checks one function bundle's inputs (esbuild metafile, repository-relative) against the table: only the
 * adapters it may use, and of Vertex AI only the service clients those adapters load — never the package index.
 */
export function checkBundleImports(fn: FunctionName, inputs: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  const allowed = new Set<string>(allowedAdapters(fn));
  const clients = new Set(allowedVertexClients(fn));
  for (const input of inputs) {
    if (adapterModulePattern.test(input) && !allowed.has(input)) {
      findings.push({
        rule: "bundle-imports",
        message: `${fn}'s bundle includes ${input}, an adapter its table entry does not allow`,
      });
    }
    const vertex = vertexInputPattern.exec(input);
    if (vertex?.[1]) {
      findings.push({
        rule: "bundle-imports",
        message: `${fn}'s bundle includes @google-cloud/aiplatform's index, which loads every Vertex AI service`,
      });
    } else if (vertex?.[2] && !clients.has(vertex[2])) {
      findings.push({
        rule: "bundle-imports",
        message: `${fn}'s bundle includes the Vertex AI ${vertex[2]}, which its table entry does not allow`,
      });
    }
  }
  return findings;
}

/**
 * Checks an adapter's source against the table: every call of a client method (a name from `clientMethods`,
 * the client library's method names) must be listed under the adapter's calls, so no call goes unpermitted.
 */
export function checkAdapterCalls(
  module: string,
  source: string,
  clientMethods: ReadonlySet<string>,
): Finding[] {
  const spec = (adapters as Record<string, AdapterSpec>)[module];
  if (!spec)
    return [{ rule: "adapter-calls", message: `${module} is not in the permission table's adapters` }];
  const findings: Finding[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const skip = new Set(spec.notClientReceivers ?? []);
  for (const match of code.matchAll(
    /((?:this\.)?[\w$]+)?\s*\.\s*([A-Za-z_$][\w$]*)\s*(?:<[^>()]*>)?\s*\(/g,
  )) {
    const receiver = match[1] ?? "";
    const method = match[2] ?? "";
    if (skip.has(receiver)) continue;
    if (clientMethods.has(method) && !(method in spec.calls)) {
      findings.push({
        rule: "adapter-calls",
        message: `${module} calls ${method}(), which the permission table does not map to a permission`,
      });
    }
  }
  return findings;
}
