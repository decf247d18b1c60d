// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Terraform expressions, not templates
import { describe, expect, it } from "vitest";
import { vertexPermissions } from "../../local/vertex/permissions.js";
import { exactPredefinedRoles } from "../../shared/permissions.js";
import { effectivePermissions, type GrantTarget, type IamCatalogue } from "../support/infra/iam-catalogue.js";
import { checkIamCatalogue } from "../support/infra/iam-catalogue-check.js";
import {
  checkInfrastructure,
  type InfraDataJson,
  type ParsedTerraform,
} from "../support/infra/infra-check.js";
import {
  generatedData,
  loadCatalogue,
  moduleNamed,
  type ParsedModule,
  parseInfra,
  referenceDir,
} from "./support/reference.js";

/**
 * The permission table, the custom roles and every predefined role infra grants, against Google Cloud's IAM
 * catalogue in MODELGATE_REFERENCE (default ../shared/reference): names that exist, and effective permissions
 * (predefined roles expanded) exactly the table's.
 */
// Loaded while the file is collected: a missing reference folder fails the file by name, no test is skipped.
const catalogue: IamCatalogue = await loadCatalogue();
const modules: ParsedModule[] = await parseInfra();
const data: InfraDataJson = generatedData();
const modelgate: ParsedTerraform = moduleNamed(modules, "modules/modelgate");

const copy = <T>(value: T): T => structuredClone(value);
const messages = (d: InfraDataJson, t: ParsedTerraform = modelgate) =>
  [
    ...checkIamCatalogue([{ directory: "modules/modelgate", terraform: t }], d, catalogue),
    ...checkInfrastructure(t, d, { catalogue }).map((f) => f),
  ].map((f) => f.message);

/** What the checks say of the module with one more `google_project_iam_member`, named `name`. */
function messagesWithProjectGrant(name: string, grant: Record<string, unknown>): string[] {
  const t = copy(modelgate);
  const resources = t.resource as Record<string, Record<string, Array<Record<string, unknown>>>>;
  resources.google_project_iam_member = { ...resources.google_project_iam_member, [name]: [grant] };
  return messages(data, t);
}

describe("names against Google Cloud's IAM catalogue", () => {
  it("fails, naming the file and the variable, when the reference folder is missing", () => {
    expect(() => referenceDir({ MODELGATE_REFERENCE: "/nonexistent/reference" })).toThrow(
      "reference data missing: /nonexistent/reference/gcp-iam/permissions.txt does not exist; set MODELGATE_REFERENCE",
    );
  });

  it("knows every permission of the table, the adapter calls and the custom roles, and every role infra grants", () => {
    expect(
      checkIamCatalogue(
        modules.map((m) => ({ directory: m.directory, terraform: m.terraform })),
        data,
        catalogue,
      ),
    ).toEqual([]);
  });

  it("knows every permission the local Vertex AI server enforces", () => {
    const named = Object.values(vertexPermissions).flatMap((checks) =>
      checks.flatMap((c) => ("permission" in c ? [c.permission] : [])),
    );
    expect(named.filter((p) => !catalogue.permissions.has(p))).toEqual([]);
  });

  it.each([
    ["roles/pubsub.publisher", "topic"],
    ["roles/secretmanager.secretAccessor", "secret"],
    ["roles/run.invoker", "cloud-run-service"],
    ["roles/iam.workloadIdentityUser", "service-account"],
  ] as Array<[keyof typeof exactPredefinedRoles, GrantTarget]>)(
    "%s confers exactly what exactPredefinedRoles says on a %s",
    (role, target) => {
      expect(effectivePermissions(catalogue, role, target)).toEqual([...exactPredefinedRoles[role]].sort());
    },
  );

  it("names a custom-role permission Google Cloud does not have", () => {
    const d = copy(data) as { custom_roles: Record<string, { permissions: string[] }> };
    d.custom_roles.modelgateDeployModel?.permissions.push("aiplatform.models.deploy");
    expect(messages(d)).toContain(
      "aiplatform.models.deploy (custom role modelgateDeployModel in modelgate.generated.json) is not a permission in Google Cloud's IAM catalogue",
    );
  });

  it("names a predefined role Google Cloud does not have", () => {
    const d = copy(data) as { topic_grants: Record<string, { role: string }> };
    const grant = d.topic_grants["deployModel:deployment-ready"];
    if (!grant) throw new Error("no topic grant deployModel:deployment-ready");
    grant.role = "roles/pubsub.publishers";
    expect(messages(d)).toContain(
      "roles/pubsub.publishers (modelgate.generated.json: topic_grants.deployModel:deployment-ready.role) is not a predefined role in Google Cloud's IAM catalogue",
    );
  });
});

describe("effective permissions against the table, predefined roles expanded from the catalogue", () => {
  it("gives every identity exactly the table's permissions, resource by resource", () => {
    expect(checkInfrastructure(modelgate, data, { catalogue })).toEqual([]);
  });

  it("names each excess a broader predefined role on one topic carries", () => {
    const d = copy(data) as { topic_grants: Record<string, { role: string }> };
    const grant = d.topic_grants["deployModel:deployment-ready"];
    if (!grant) throw new Error("no topic grant deployModel:deployment-ready");
    grant.role = "roles/pubsub.editor";
    const found = messages(d);
    const address = 'google_pubsub_topic_iam_member.publisher["deployModel:deployment-ready"]';
    for (const permission of [
      "pubsub.topics.attachSubscription",
      "pubsub.topics.delete",
      "pubsub.topics.update",
    ]) {
      expect(found).toContain(
        `over-granted: deployModel holds ${permission} on topic:deployment-ready via roles/pubsub.editor (${address}), which the permission table does not grant`,
      );
    }
    // Project-level permissions the role lists (pubsub.topics.create, .list) cannot be conferred on one topic.
    expect(found.some((m) => /holds pubsub\.topics\.(create|list) on/.test(m))).toBe(false);
  });

  it("names what a predefined role carries when granted on the project instead of one resource", () => {
    const found = messagesWithProjectGrant("project_wide_secrets", {
      project: "${var.project_id}",
      role: "roles/secretmanager.secretAccessor",
      member: 'serviceAccount:${google_service_account.identity["githubWebhook"].email}',
    });
    for (const permission of ["resourcemanager.projects.get", "secretmanager.versions.access"]) {
      expect(found).toContain(
        `over-granted: githubWebhook holds ${permission} on project via roles/secretmanager.secretAccessor (google_project_iam_member.project_wide_secrets), which the permission table does not grant`,
      );
    }
  });

  it("still names a planted roles/editor", () => {
    const found = messagesWithProjectGrant("editor", {
      role: "roles/editor",
      member: 'serviceAccount:${google_service_account.identity["rolloutModel"].email}',
    });
    expect(found).toContain(
      "resource.google_project_iam_member.editor[0].role grants roles/editor, which modelgate never grants",
    );
    expect(found).toContain(
      "over-granted: rolloutModel holds aiplatform.customJobs.create on project via roles/editor (google_project_iam_member.editor), which the permission table does not grant",
    );
  });
});
