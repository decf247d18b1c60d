// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions, not templates
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { readConfigFile } from "../../scripts/generate-infra-data.js";
import { deliveryPolicy } from "../../shared/topology.js";
import {
  checkInfrastructure,
  type InfraDataJson,
  loadTerraformModule,
  type ParsedTerraform,
} from "../support/infra/infra-check.js";

const root = join(import.meta.dirname, "..", "..");
const moduleDir = join(root, "infra", "modules", "modelgate");
const infraDir = join(root, "infra");

let terraform: ParsedTerraform;
let data: InfraDataJson;

beforeAll(async () => {
  terraform = await loadTerraformModule(moduleDir);
  data = JSON.parse(readFileSync(join(moduleDir, "modelgate.generated.json"), "utf8"));
});

const copy = <T>(value: T): T => structuredClone(value);
const messages = (t: ParsedTerraform, d: InfraDataJson) => checkInfrastructure(t, d).map((f) => f.message);
/** Plants `open`: run.invoker on `fn` for allUsers. */
const openToAll = (t: ParsedTerraform, fn: string) => {
  resources(t).google_cloud_run_service_iam_member = {
    ...resources(t).google_cloud_run_service_iam_member,
    open: [
      {
        service: `\${google_cloudfunctions2_function.function["${fn}"].name}`,
        role: "roles/run.invoker",
        member: "allUsers",
      },
    ],
  };
};
/** Plants one more google_project_iam_member, named `name`. */
const grantOnProject = (t: ParsedTerraform, name: string, grant: Record<string, unknown>) => {
  resources(t).google_project_iam_member = { ...resources(t).google_project_iam_member, [name]: [grant] };
};
const resources = (t: ParsedTerraform) =>
  t.resource as Record<string, Record<string, Array<Record<string, unknown>>>>;

function tfFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".tf") && !f.includes(".terraform"))
    .map((f) => join(dir, f));
}

describe("the Terraform module against the permission table", () => {
  it("passes every check as committed", () => {
    expect(checkInfrastructure(terraform, data)).toEqual([]);
  });

  it("names an account that holds a grant the table does not give", () => {
    const t = copy(terraform);
    grantOnProject(t, "extra", {
      project: "${var.project_id}",
      role: '${google_project_iam_custom_role.modelgate["modelgateLaunchTraining"].id}',
      member: 'serviceAccount:${google_service_account.identity["deployModel"].email}',
    });
    const found = messages(t, data);
    expect(found).toContain(
      "over-granted: deployModel holds aiplatform.customJobs.create on project (google_project_iam_member.extra), which the permission table does not grant",
    );
    expect(found).toContain(
      "deployModel holds both aiplatform.customJobs.create and aiplatform.endpoints.deploy: no account may both train and deploy",
    );
  });

  it("expands predefined roles from a catalogue, counting only what takes effect on the resource granted on", () => {
    // A small catalogue whose roles also list project-level permissions, which a topic or secret grant cannot confer.
    const catalogue = {
      permissions: new Set(["pubsub.topics.publish", "pubsub.topics.list", "pubsub.topics.get"]),
      roles: new Map([
        ["roles/pubsub.publisher", ["pubsub.topics.list", "pubsub.topics.publish"]],
        ["roles/pubsub.viewer", ["pubsub.topics.get", "pubsub.topics.list"]],
        [
          "roles/secretmanager.secretAccessor",
          ["resourcemanager.projects.get", "secretmanager.versions.access"],
        ],
      ]),
    };
    expect(checkInfrastructure(terraform, data, { catalogue })).toEqual([]);
    const d = copy(data) as { topic_grants: Record<string, { role: string }> };
    const grant = d.topic_grants["deployModel:deployment-ready"];
    if (!grant) throw new Error("no topic grant deployModel:deployment-ready");
    grant.role = "roles/pubsub.viewer";
    const found = checkInfrastructure(terraform, d, { catalogue }).map((f) => f.message);
    expect(found).toContain(
      'over-granted: deployModel holds pubsub.topics.get on topic:deployment-ready via roles/pubsub.viewer (google_pubsub_topic_iam_member.publisher["deployModel:deployment-ready"]), which the permission table does not grant',
    );
    expect(found).toContain(
      "missing: deployModel should hold pubsub.topics.publish on topic:deployment-ready but no Terraform grant gives it",
    );
    expect(found.some((m) => m.includes("pubsub.topics.list"))).toBe(false);
  });

  it("names an account given a predefined role the table does not know", () => {
    const t = copy(terraform);
    grantOnProject(t, "broad", {
      role: "roles/aiplatform.user",
      member: 'serviceAccount:${google_service_account.identity["registerModel"].email}',
    });
    const found = messages(t, data);
    expect(found.some((m) => m.includes("registerModel holds roles/aiplatform.user"))).toBe(true);
    expect(found.some((m) => m.includes("grants roles/aiplatform.user, which modelgate never grants"))).toBe(
      true,
    );
  });

  it("names an over-granted account when the generated data widens a custom role", () => {
    const d = copy(data) as { custom_roles: Record<string, { permissions: string[] }> };
    d.custom_roles.modelgateVerifyDeployment?.permissions.push("aiplatform.endpoints.deploy");
    expect(messages(terraform, d)).toContain(
      'over-granted: verifyDeployment holds aiplatform.endpoints.deploy on project (google_project_iam_member.identity["verifyDeployment"]), which the permission table does not grant',
    );
  });

  it("names a missing grant", () => {
    const d = copy(data) as { topic_grants: Record<string, unknown> };
    delete d.topic_grants["deployModel:deployment-ready"];
    expect(messages(terraform, d)).toContain(
      "missing: deployModel should hold pubsub.topics.publish on topic:deployment-ready but no Terraform grant gives it",
    );
  });

  it("names functions that share an account", () => {
    const t = copy(terraform);
    const fn = resources(t).google_cloudfunctions2_function?.function?.[0] as Record<string, unknown>;
    const serviceConfig = (fn.service_config as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    serviceConfig.service_account_email = '${google_service_account.identity["githubWebhook"].email}';
    const found = messages(t, data);
    expect(found).toContain("tektonEvents runs as githubWebhook, not its own service account");
    expect(found).toContain("shared account: githubWebhook and tektonEvents both run as githubWebhook");
  });

  it("names identities that share an account id in the generated data", () => {
    const d = copy(data) as { identities: Record<string, { account_id: string }> };
    (d.identities.rolloutModel as { account_id: string }).account_id = "mg-deploy-model";
    expect(messages(terraform, d)).toContain(
      "shared account: deployModel and rolloutModel both use mg-deploy-model",
    );
  });

  it("refuses a bucket grant without a prefix condition", () => {
    const t = copy(terraform);
    const grant = resources(t).google_storage_bucket_iam_member?.prefix?.[0] as Record<string, unknown>;
    delete grant.condition;
    const found = messages(t, data);
    expect(
      found.some((m) => m.includes("on the whole artifact bucket; bucket grants need a prefix condition")),
    ).toBe(true);
  });

  it("refuses service-account keys, basic roles and public members beyond the webhook", () => {
    const t = copy(terraform);
    resources(t).google_service_account_key = { leaked: [{ service_account_id: "x" }] };
    grantOnProject(t, "owner", { role: "roles/owner", member: "user:someone@example.com" });
    openToAll(t, "deployModel");
    const found = messages(t, data);
    expect(found).toContain(
      "google_service_account_key.leaked: service-account keys are forbidden; use Workload Identity Federation",
    );
    expect(found.some((m) => m.includes("grants roles/owner, which modelgate never grants"))).toBe(true);
    expect(found).toContain(
      "google_cloud_run_service_iam_member.open grants roles/run.invoker to allUsers; only a public or signed function's invoker may be public",
    );
    expect(found).toContain(
      "google_cloud_run_service_iam_member.open: allUsers may invoke deployModel; only its trigger's account may",
    );
  });

  it("takes who may invoke each function from the topology's declaration, not from its name", () => {
    const t = copy(terraform);
    openToAll(t, "deployModel");
    const declared = copy(data) as { functions: Record<string, { invoker: string }> };
    expect(messages(t, declared).filter((m) => m.includes(".open"))).toHaveLength(2);
    // Declared public, deployModel may be invoked by anyone; declared forwarder-invoked, tektonEvents by its
    // forwarder only, so a forwarder grant to another function is refused.
    (declared.functions.deployModel as { invoker: string }).invoker = "public";
    expect(messages(t, declared).filter((m) => m.includes(".open"))).toEqual([]);
    (declared.functions.tektonEvents as { invoker: string }).invoker = "trigger";
    expect(messages(t, declared)).toContain(
      'google_cloud_run_service_iam_member.tekton_sink_invoker["tektonEvents"]: tekton_sink may invoke tektonEvents; only its trigger\'s account may',
    );
  });

  it("lets no Terraform file use a forbidden resource or role, or allUsers outside the webhook and signed invokers", async () => {
    for (const file of tfFiles(infraDir)) {
      const text = readFileSync(file, "utf8");
      expect(text, file).not.toMatch(
        /google_service_account_key|roles\/(owner|editor|viewer|aiplatform\.admin|aiplatform\.user)\b/,
      );
      const parsed = (await parse(file, text)) as ParsedTerraform;
      expect(parsed, file).toBeTypeOf("object");
    }
    // allUsers appears only as webhook_invoker_members' and signed_invoker_members' defaults (and validations), in
    // the module and the example.
    const publicUses = tfFiles(infraDir).flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .filter((l) => l.includes('"allUsers"'))
        .map((l) => `${f.slice(infraDir.length + 1)}: ${l.trim()}`),
    );
    expect(publicUses.sort()).toEqual([
      'environments/example/variables.tf: default     = ["allUsers"]',
      'modules/modelgate/variables.tf: condition     = alltrue([for m in var.signed_invoker_members : m == "allUsers" || can(regex("^(serviceAccount|group|user|domain|principal|principalSet):", m))])',
      'modules/modelgate/variables.tf: condition     = alltrue([for m in var.webhook_invoker_members : m == "allUsers" || can(regex("^(serviceAccount|group|user|domain|principal|principalSet):", m))])',
      'modules/modelgate/variables.tf: default     = ["allUsers"]',
      'modules/modelgate/variables.tf: default     = ["allUsers"]',
    ]);
  });

  it("uses topology.ts's delivery policy for every trigger subscription", () => {
    const policy = data.delivery_policy as Record<string, unknown>;
    expect(policy).toEqual({
      max_delivery_attempts: deliveryPolicy.maxDeliveryAttempts,
      minimum_backoff: `${deliveryPolicy.minimumBackoffSeconds}s`,
      maximum_backoff: `${deliveryPolicy.maximumBackoffSeconds}s`,
      ack_deadline_seconds: deliveryPolicy.ackDeadlineSeconds,
    });
    const trigger = resources(terraform).google_pubsub_subscription?.trigger?.[0] as Record<string, unknown>;
    expect(trigger.dead_letter_policy).toEqual([
      {
        dead_letter_topic: "${google_pubsub_topic.dead_letter[each.key].id}",
        max_delivery_attempts: "${local.data.delivery_policy.max_delivery_attempts}",
      },
    ]);
  });

  it("keeps the bucket private and uniform, with lifecycle rules that never touch ledger/", () => {
    const bucket = resources(terraform).google_storage_bucket?.artifacts?.[0] as Record<string, unknown>;
    expect(bucket.uniform_bucket_level_access).toBe(true);
    expect(bucket.public_access_prevention).toBe("enforced");
    const prefixes = (
      bucket.lifecycle_rule as Array<{ condition: Array<{ matches_prefix?: string[] }> }>
    ).flatMap((rule) => rule.condition[0]?.matches_prefix ?? []);
    // Only claims expire; deliveries/ is gone (webhook bodies are never parked in the bucket).
    expect(prefixes).toEqual(["idempotency/"]);
  });

  it("pins the google provider and binds GitHub to the listed repositories", () => {
    const versions = readFileSync(join(infraDir, "environments", "example", "versions.tf"), "utf8");
    expect(versions).toMatch(/version\s*=\s*"\d+\.\d+\.\d+"/);
    const provider = resources(terraform).google_iam_workload_identity_pool_provider?.github?.[0] as Record<
      string,
      unknown
    >;
    // Bound to immutable ids (test/unit/infra-deployable.test.ts evaluates the condition with terraform).
    expect(provider.attribute_condition).toBe("${local.github_trusted}");
  });

  it("is terraform fmt clean (checked only where a terraform binary is installed)", () => {
    const onPath = (process.env.PATH ?? "").split(":").some((dir) => existsSync(join(dir, "terraform")));
    if (onPath) {
      expect(() =>
        execFileSync("terraform", ["fmt", "-check", "-recursive", infraDir], { stdio: "pipe" }),
      ).not.toThrow();
    } else {
      // Without the binary: the files still parse, use 2-space indentation and have no trailing spaces.
      for (const file of tfFiles(infraDir)) {
        for (const line of readFileSync(file, "utf8").split("\n")) {
          expect(line, file).toBe(line.trimEnd());
          expect((line.length - line.trimStart().length) % 2, `${file}: ${line}`).toBe(0);
        }
      }
    }
  });
});

/** The Kubernetes documents of one file under infra/<folder>/. */
const loadDocuments = (folder: string, name: string) =>
  parseAllDocuments(readFileSync(join(infraDir, folder, name), "utf8")).map(
    (d) => d.toJS() as Record<string, any>,
  );

describe("the Tekton configuration", () => {
  const load = (name: string) => loadDocuments("tekton", name);

  it("points config-events' sink at the in-cluster forwarder", () => {
    const [config] = load("config-events.yaml");
    expect(config?.metadata).toMatchObject({ name: "config-events", namespace: "tekton-pipelines" });
    expect(config?.data).toEqual({
      formats: "tektonv1",
      sink: "http://modelgate-sink-forwarder.tekton-pipelines.svc.cluster.local",
    });
  });

  it("has the forwarder add an ID token and X-Modelgate-Token", () => {
    const docs = load("sink-forwarder.yaml");
    const script = docs.find((d) => d.kind === "ConfigMap")?.data?.["forward.mjs"] as string;
    expect(script).toContain("x-modelgate-token");
    expect(script).toContain("authorization = `Bearer ${await idToken()}`");
  });

  it("has the example pipeline publish the results modelgate maps", () => {
    const pipeline = load("ml-build-pipeline.yaml").find((d) => d.kind === "Pipeline");
    expect(pipeline?.metadata.name).toBe("fraud-detector-build");
    expect(pipeline?.spec.results.map((r: { name: string }) => r.name)).toEqual([
      "MODEL_NAME",
      "GIT_COMMIT",
      "ARTIFACT_URI",
    ]);
    const config = readFileSync(join(root, "modelgate.config.yaml"), "utf8");
    expect(config).toContain("pipelines: [fraud-detector-build]");
  });
});

describe("the Flux example", () => {
  const load = (name: string) => loadDocuments("flux", name);

  it("signs with the generic-hmac Provider under the example Secret's token", () => {
    const [provider] = load("provider.yaml");
    const [secret] = load("secret.yaml");
    expect(provider).toMatchObject({ kind: "Provider", spec: { type: "generic-hmac" } });
    expect(provider?.spec.secretRef.name).toBe(secret?.metadata.name);
    expect(secret?.metadata.namespace).toBe(provider?.metadata.namespace);
    expect(Object.keys(secret?.stringData ?? {})).toEqual(["token"]);
  });

  it("alerts on the objects the example configuration lists under flux.objects, at the Provider", () => {
    const [alert] = load("alert.yaml");
    const [provider] = load("provider.yaml");
    expect(alert?.spec.providerRef.name).toBe(provider?.metadata.name);
    expect(alert?.spec.eventSeverity).toBe("info");
    const config = readConfigFile();
    const configured = config.flux.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`);
    const sources = (alert?.spec.eventSources ?? []).map(
      (s: { kind: string; namespace?: string; name: string }) =>
        `${s.kind}/${s.namespace ?? alert?.metadata.namespace}/${s.name}`,
    );
    expect(sources.length).toBeGreaterThan(0);
    expect(configured).toEqual(expect.arrayContaining(sources));
    // The message kustomize-controller ends a successful reconciliation with passes the inclusion list.
    const included = ((alert?.spec.inclusionList ?? []) as string[]).map((p) => new RegExp(p));
    expect(included.some((p) => p.test("Reconciliation finished in 1.2s, next run in 10m0s"))).toBe(true);
  });
});
