// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions, not templates
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { beforeAll, describe, expect, it } from "vitest";
import {
  defaultConfigFile,
  endpointsOf,
  infraData,
  readConfigFile,
} from "../../scripts/generate-infra-data.js";
import { endpointName, parseConfig } from "../../shared/config.js";
import { decodeMessage } from "../../shared/contracts.js";
import { functionNames, functions, Ingress, Topic } from "../../shared/topology.js";
import { loadTerraformModule, type ParsedTerraform } from "../support/infra/infra-check.js";
import { evaluateInModule } from "../support/terraform-console.js";

const root = join(import.meta.dirname, "..", "..");
const moduleDir = join(root, "infra", "modules", "modelgate");
const exampleDir = join(root, "infra", "environments", "example");

type Body = Record<string, unknown>;
let terraform: ParsedTerraform;
const resource = (type: string, name: string): Body => {
  const body = (terraform.resource as Record<string, Record<string, Body[]>>)[type]?.[name]?.[0];
  if (!body) throw new Error(`no ${type}.${name} in the module`);
  return body;
};
const block = (body: Body, name: string): Body => {
  const value = body[name];
  return (Array.isArray(value) ? (value[0] as Body | undefined) : (value as Body | undefined)) ?? {};
};
const data = infraData();
const fnData = (name: string) => {
  const found = data.functions[name];
  if (!found) throw new Error(`no generated data for ${name}`);
  return found;
};

beforeAll(async () => {
  terraform = await loadTerraformModule(moduleDir);
});

async function parsedFiles(dir: string): Promise<Array<{ file: string; parsed: Record<string, any> }>> {
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (f) => f.endsWith(".tf") && !f.includes(".terraform"),
  );
  return Promise.all(
    files.map(async (file) => ({ file, parsed: await parse(file, readFileSync(join(dir, file), "utf8")) })),
  );
}

describe("function settings (evaluated by the terraform binary)", () => {
  const evaluate = (values: Record<string, unknown>) =>
    evaluateInModule(moduleDir, {
      locals: ["function_settings"],
      data,
      values,
      expression: "local.function_settings",
    }) as Promise<Record<string, { memory: string; timeout_seconds: number; max_instances: number }>>;

  it("merges a function's overrides over the defaults, and leaves the others at the defaults", async () => {
    const settings = await evaluate({ function_settings: { deployModel: { timeout_seconds: 300 } } });
    expect(settings.deployModel).toEqual({
      memory: fnData("deployModel").memory,
      timeout_seconds: 300,
      max_instances: 10,
    });
    expect(settings.githubWebhook).toEqual({
      memory: fnData("githubWebhook").memory,
      timeout_seconds: 60,
      max_instances: 10,
    });
  });

  it("cuts the HTTP ingress functions' requests off after a minute; the steps keep nine", async () => {
    // A sender that trickles its body holds an instance (one request each) until the timeout (issue #14).
    const settings = await evaluate({});
    expect(settings.githubWebhook?.timeout_seconds).toBe(60);
    expect(settings.tektonEvents?.timeout_seconds).toBe(60);
    expect(settings.verifyDeployment?.timeout_seconds).toBe(540);
  });

  it("evaluates with no overrides at all", async () => {
    const settings = await evaluate({});
    expect(Object.keys(settings).sort()).toEqual([...functionNames].sort());
  });
});

describe("the function sources buckets", () => {
  const sourcesName = (bucket_name: string) =>
    evaluateInModule(moduleDir, {
      locals: ["sources_bucket_name"],
      values: { bucket_name },
      expression: "local.sources_bucket_name",
    }) as Promise<string>;
  const bucketName = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;

  it.each([
    ["a short name keeps its -sources suffix", "my-ml-project-modelgate", "my-ml-project-modelgate-sources"],
    ["55 characters still fit", "a".repeat(55), `${"a".repeat(55)}-sources`],
  ])("%s", async (_, input, expected) => {
    expect(await sourcesName(input)).toBe(expected);
  });

  it.each([
    "a".repeat(56),
    "b".repeat(63),
    `${"c".repeat(45)}-${"d".repeat(17)}`,
    `${"e".repeat(45)}.${"f".repeat(17)}`,
    "g".repeat(40) + "_".repeat(6) + "h".repeat(17),
  ])("derives a valid bucket name of at most 63 characters from %s", async (input) => {
    const name = await sourcesName(input);
    expect(name.length, name).toBeLessThanOrEqual(63);
    expect(name, name).toMatch(bucketName);
    expect(name).not.toMatch(/\.-|-\.|\.\./);
    expect(name).not.toBe(await sourcesName(`${input.slice(0, -1)}z`));
  });

  it("refuses a bucket_name that is not a bucket name, by the variable's own validation", async () => {
    await expect(sourcesName("x".repeat(64))).rejects.toThrow(
      /bucket_name must be a Cloud Storage bucket name/,
    );
  });

  it("lets the function builder read the regional gcf-v2-sources bucket Cloud Build fetches from", () => {
    const grant = resource("google_project_iam_member", "builder_function_sources");
    expect(grant.member).toBe("serviceAccount:${google_service_account.builder.email}");
    expect(grant.role).toBe("roles/storage.objectViewer");
    const text = readFileSync(join(moduleDir, "functions.tf"), "utf8");
    expect(text).toContain(
      'function_sources_bucket = "gcf-v2-sources-${data.google_project.this.number}-${var.region}"',
    );
    expect(block(grant, "condition").expression).toBe(
      'resource.name == "projects/_/buckets/${local.function_sources_bucket}" || resource.name.startsWith("projects/_/buckets/${local.function_sources_bucket}/objects/")',
    );
    const fn = resource("google_cloudfunctions2_function", "function");
    expect(fn.depends_on).toContain("${google_project_iam_member.builder_function_sources}");
  });
});

describe("service agents and APIs", () => {
  it("creates the Pub/Sub and Eventarc service agents before granting them anything", () => {
    const agent = resource("google_project_service_identity", "agent");
    expect(agent.provider).toBe("${google-beta}");
    expect(agent.for_each).toBe('${toset(["pubsub.googleapis.com", "eventarc.googleapis.com"])}');
    const text = readdirSync(moduleDir)
      .filter((f) => f.endsWith(".tf"))
      .map((f) => readFileSync(join(moduleDir, f), "utf8"))
      .join("\n");
    // A service agent's address written out by hand would be granted whether or not the agent exists yet.
    expect(text).not.toMatch(/@gcp-sa-/);
    expect(text).toContain(
      'pubsub_agent = "serviceAccount:${google_project_service_identity.agent["pubsub.googleapis.com"].email}"',
    );
  });

  it.each([
    ["google_service_account", "identity"],
    ["google_service_account", "trigger"],
    ["google_service_account", "builder"],
    ["google_service_account", "tekton_sink"],
    ["google_project_iam_custom_role", "modelgate"],
    ["google_storage_bucket", "sources"],
    ["google_vertex_ai_endpoint", "endpoint"],
    ["google_cloudfunctions2_function", "function"],
  ])("has %s.%s wait for the APIs", (type, name) => {
    expect(resource(type, name).depends_on).toContain("${google_project_service.api}");
  });

  it("enables the APIs the accounts, roles and endpoints need", () => {
    const apis = resource("google_project_service", "api").for_each as string;
    for (const api of ["iam.googleapis.com", "aiplatform.googleapis.com", "eventarc.googleapis.com"]) {
      expect(apis).toContain(`"${api}"`);
    }
  });

  it("lets Pub/Sub's agent mint tokens for every trigger account, the storage trigger's included", () => {
    const grant = resource("google_service_account_iam_member", "pubsub_agent_token_creator");
    expect(grant.for_each).toBe("${local.data.triggered_functions}");
    expect(Object.keys(data.triggered_functions)).toContain("artifactUploaded");
    expect(grant.role).toBe("roles/iam.serviceAccountTokenCreator");
  });
});

describe("ingress", () => {
  it("takes each function's ingress from shared/topology.ts: only githubWebhook is public", () => {
    for (const name of functionNames) {
      expect(fnData(name).ingress_settings, name).toBe(
        functions[name].ingress === Ingress.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY",
      );
    }
    const publicOnes = functionNames.filter((n) => fnData(n).ingress_settings === "ALLOW_ALL");
    expect(publicOnes).toEqual(["githubWebhook"]);
    const fn = resource("google_cloudfunctions2_function", "function");
    expect(block(fn, "service_config").ingress_settings).toBe("${each.value.ingress_settings}");
  });

  it("grants githubWebhook's invoker to webhook_invoker_members, allUsers unless changed", async () => {
    const grant = resource("google_cloud_run_service_iam_member", "webhook_public");
    expect(grant.for_each).toBe("${toset(var.webhook_invoker_members)}");
    expect(grant.member).toBe("${each.value}");
    const members = (values: Record<string, unknown>) =>
      evaluateInModule(moduleDir, { locals: [], values, expression: "var.webhook_invoker_members" });
    expect(await members({})).toEqual(["allUsers"]);
    const gateway = "serviceAccount:webhook-gateway@p.iam.gserviceaccount.com";
    expect(await members({ webhook_invoker_members: [gateway] })).toEqual([gateway]);
    await expect(members({ webhook_invoker_members: ["everyone"] })).rejects.toThrow(
      /webhook_invoker_members takes allUsers or IAM members/,
    );
  });

  it("grants fluxEvents' invoker to signed_invoker_members (allUsers unless changed) behind internal ingress", async () => {
    const grant = resource("google_cloud_run_service_iam_member", "signed_invoker");
    expect(grant.for_each).toBe("${toset(var.signed_invoker_members)}");
    expect(grant.service).toBe(
      "${google_cloudfunctions2_function.function[local.data.signed_function].name}",
    );
    expect(data.signed_function).toBe("fluxEvents");
    expect(fnData("fluxEvents").ingress_settings).toBe("ALLOW_INTERNAL_ONLY");
    const members = (values: Record<string, unknown>) =>
      evaluateInModule(moduleDir, { locals: [], values, expression: "var.signed_invoker_members" });
    expect(await members({})).toEqual(["allUsers"]);
    await expect(members({ signed_invoker_members: ["everyone"] })).rejects.toThrow(
      /signed_invoker_members takes allUsers or IAM members/,
    );
  });
});

describe("secrets", () => {
  it("mounts each secret as a volume at latest and tells the function the file, never an env value", () => {
    const fn = resource("google_cloudfunctions2_function", "function");
    const serviceConfig = block(fn, "service_config");
    expect(serviceConfig.secret_environment_variables).toBeUndefined();
    const volumes = block(block(serviceConfig, "dynamic"), "secret_volumes");
    expect(volumes.for_each).toBe("${each.value.secrets}");
    expect(block(block(volumes, "content"), "versions")).toEqual({
      version: "latest",
      path: "${secret_volumes.value.path}",
    });
    expect(serviceConfig.environment_variables).toContain(
      "{ for id, secret in each.value.secrets : secret.env => secret.file }",
    );
    expect(fnData("githubWebhook").secrets).toEqual({
      "modelgate-github-webhook-secret": {
        env: "GITHUB_WEBHOOK_SECRET_FILE",
        mount_path: "/etc/secrets/modelgate-github-webhook-secret",
        path: "latest",
        file: "/etc/secrets/modelgate-github-webhook-secret/latest",
      },
    });
    expect(Object.keys(fnData("tektonEvents").secrets)).toEqual(["modelgate-tekton-sink-token"]);
  });

  it("never puts a secret value in Terraform (no secret version, no secret_data anywhere in infra/)", async () => {
    for (const { file, parsed } of await parsedFiles(join(root, "infra"))) {
      expect(Object.keys(parsed.resource ?? {}), file).not.toContain("google_secret_manager_secret_version");
      expect(JSON.stringify(parsed), file).not.toMatch(/secret_data/);
    }
  });
});

describe("GitHub Workload Identity Federation", () => {
  const repositories = [
    { name: "acme/fraud-detector", id: "123456789", owner_id: "987654" },
    { name: "acme/churn", id: "223456789", owner_id: "987654" },
  ];

  it("trusts only tokens whose repository_id and repository_owner_id match a listed pair", async () => {
    const condition = await evaluateInModule(moduleDir, {
      locals: ["github_trusted"],
      values: { github_repositories: repositories },
      expression: "local.github_trusted",
    });
    expect(condition).toBe(
      '(assertion.repository_id == "123456789" && assertion.repository_owner_id == "987654") || (assertion.repository_id == "223456789" && assertion.repository_owner_id == "987654")',
    );
    const provider = resource("google_iam_workload_identity_pool_provider", "github");
    expect(provider.attribute_condition).toBe("${local.github_trusted}");
    expect(provider.attribute_mapping).toMatchObject({
      "attribute.repository_id": "assertion.repository_id",
      "attribute.repository_owner_id": "assertion.repository_owner_id",
    });
  });

  it("binds the CI identity to attribute.repository_id, not to a name", () => {
    const binding = resource("google_service_account_iam_member", "github_actions");
    expect(binding.member).toBe(
      "principalSet://iam.googleapis.com/${google_iam_workload_identity_pool.github.name}/attribute.repository_id/${each.value.id}",
    );
  });

  it.each([[["acme/fraud-detector"]], [[{ name: "acme/fraud-detector", id: "acme", owner_id: "1" }]], [[]]])(
    "refuses github_repositories = %j",
    async (value) => {
      await expect(
        evaluateInModule(moduleDir, {
          locals: ["github_trusted"],
          values: { github_repositories: value },
          expression: "local.github_trusted",
        }),
      ).rejects.toThrow(/github_repositories|Invalid value for input variable/);
    },
  );

  it("says in the module what the GKE bindings need first", () => {
    const text = readFileSync(join(moduleDir, "wif.tf"), "utf8");
    expect(text).toMatch(/must exist first: the GKE cluster .* with Workload Identity enabled/s);
  });
});

describe("Vertex AI endpoints", () => {
  it("creates one endpoint per configured endpoint, with the id deployModel resolves", () => {
    const config = readConfigFile(defaultConfigFile);
    const configured = new Set(Object.values(config.models).map((m) => m.endpoint));
    expect(new Set(Object.keys(data.endpoints))).toEqual(configured);
    for (const [model, settings] of Object.entries(config.models)) {
      expect(endpointName(config, model)).toBe(
        `projects/${config.project}/locations/${config.region}/endpoints/${settings.endpoint}`,
      );
      expect(data.endpoints[settings.endpoint]?.models).toContain(model);
    }
    const endpoint = resource("google_vertex_ai_endpoint", "endpoint");
    expect(endpoint).toMatchObject({
      for_each: "${local.data.endpoints}",
      name: "${each.key}",
      location: "${var.region}",
    });
    expect(block(endpoint, "lifecycle").ignore_changes).toEqual(["${traffic_split}"]);
  });

  const withEndpoints = (endpoints: Record<string, string>) => {
    const text = readFileSync(defaultConfigFile, "utf8");
    const base = parseConfig(text);
    const template = Object.values(base.models)[0];
    if (!template) throw new Error("the example configuration has no model");
    return {
      ...base,
      models: Object.fromEntries(
        Object.entries(endpoints).map(([m, e]) => [m, { ...template, endpoint: e }]),
      ),
    };
  };

  it("serves two models from one endpoint when they name the same one", () => {
    expect(endpointsOf(withEndpoints({ b: "shared", a: "shared", c: "12345" }))).toEqual({
      shared: { display_name: "modelgate shared", models: ["a", "b"] },
      "12345": { display_name: "modelgate 12345", models: ["c"] },
    });
  });

  it.each(["1234567890123456789", "0123", "ends-with-"])(
    "refuses an endpoint id Vertex AI cannot create: %s",
    (id) => {
      expect(() => endpointsOf(withEndpoints({ m: id }))).toThrow(
        `models.m.endpoint: ${id} cannot be created with that id`,
      );
    },
  );

  it("checks at plan time that the generated data was made for this deployment's project, region and bucket", () => {
    expect(data.config).toEqual({
      project: "local-project",
      region: "us-central1",
      bucket: "modelgate-artifacts",
    });
    const precondition = block(
      block(resource("google_storage_bucket", "artifacts"), "lifecycle"),
      "precondition",
    );
    expect(precondition.condition).toBe(
      "${local.data.config.project == var.project_id && local.data.config.region == var.region && local.data.config.bucket == var.bucket_name}",
    );
  });
});

describe("the example environment", () => {
  it("configures google-beta and passes the module its new inputs", () => {
    const versions = readFileSync(join(exampleDir, "versions.tf"), "utf8");
    expect(versions).toMatch(
      /google-beta = \{\s+source\s+= "hashicorp\/google-beta"\s+version = "\d+\.\d+\.\d+"/,
    );
    expect(versions).toContain('provider "google-beta"');
    const main = readFileSync(join(exampleDir, "main.tf"), "utf8");
    expect(main).toContain("webhook_invoker_members         = var.webhook_invoker_members");
    const tfvars = readFileSync(join(exampleDir, "terraform.tfvars.example"), "utf8");
    expect(tfvars).toMatch(/\{ name = "acme\/fraud-detector", id = "\d+", owner_id = "\d+" \}/);
  });
});

describe("the scheduled reconcile", () => {
  it("publishes a ReconcileRequested the contract accepts to reconcile-requested, every 15 minutes unless changed", async () => {
    const job = resource("google_cloud_scheduler_job", "reconcile");
    const target = block(job, "pubsub_target");
    expect(target.topic_name).toBe("${google_pubsub_topic.topic[local.data.reconcile_schedule.topic].id}");
    expect(target.data).toBe("${base64encode(local.data.reconcile_schedule.data)}");
    const schedule = data.reconcile_schedule;
    expect(schedule.topic).toBe(Topic.reconcileRequested);
    expect(decodeMessage(Topic.reconcileRequested, schedule.data)).toEqual({
      schemaVersion: 1,
      trigger: "schedule",
      requestedBy: "cloud-scheduler",
    });
    const cron = (values: Record<string, unknown>) =>
      evaluateInModule(moduleDir, { locals: [], values, expression: "var.reconcile_schedule" });
    expect(await cron({})).toBe("*/15 * * * *");
    await expect(cron({ reconcile_schedule: "hourly" })).rejects.toThrow(
      /unix-cron expression of five fields/,
    );
  });
});
