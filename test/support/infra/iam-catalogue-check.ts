/**
 * Checks names against Google's IAM catalogue: every permission of the permission table and of its adapter
 * calls, every permission of every custom role (generated data and literal lists in the HCL), and every
 * predefined role infra grants. A permission Google does not know makes creating the custom role fail with 400
 * "Permission ... is not valid"; an unknown role fails the grant.
 */

import { adapters, entitlements, exactPredefinedRoles, scopeKey } from "../../../shared/permissions.js";
import type { IamCatalogue } from "./iam-catalogue.js";
import { type Finding, type InfraDataJson, type ParsedTerraform, stringsIn } from "./infra-check.js";

/** `roles/NAME` not preceded by a path (`projects/p/roles/x` is a custom role). */
const predefinedRole = /(?<![\w/.-])roles\/[A-Za-z0-9_.]+/g;

/** Checks the permission table, the generated data and the Terraform of `modules` against `catalogue`. */
export function checkIamCatalogue(
  modules: ReadonlyArray<{ directory: string; terraform: ParsedTerraform }>,
  data: InfraDataJson,
  catalogue: IamCatalogue,
): Finding[] {
  const findings: Finding[] = [];
  const unknownPermission = (permission: string, where: string) => {
    if (!catalogue.permissions.has(permission)) {
      findings.push({
        rule: "iam-catalogue",
        message: `${permission} (${where}) is not a permission in Google Cloud's IAM catalogue`,
      });
    }
  };

  for (const e of entitlements()) {
    unknownPermission(e.permission, `permission table: ${e.identity} on ${scopeKey(e.scope)}`);
  }
  for (const [module, spec] of Object.entries(adapters)) {
    for (const [call, permissions] of Object.entries(spec.calls as Record<string, readonly string[]>)) {
      for (const permission of permissions) unknownPermission(permission, `adapter call ${module} ${call}()`);
    }
  }
  for (const [role, permissions] of Object.entries(exactPredefinedRoles)) {
    for (const permission of permissions) unknownPermission(permission, `exactPredefinedRoles ${role}`);
  }

  const customRoles = (data.custom_roles ?? {}) as Record<string, { permissions?: unknown }>;
  for (const [key, role] of Object.entries(customRoles)) {
    for (const permission of Array.isArray(role.permissions) ? role.permissions : []) {
      unknownPermission(String(permission), `custom role ${key} in modelgate.generated.json`);
    }
  }

  for (const { directory, terraform } of modules) {
    for (const [name, bodies] of Object.entries(terraform.resource?.google_project_iam_custom_role ?? {})) {
      for (const body of bodies) {
        if (!Array.isArray(body.permissions)) continue;
        for (const permission of body.permissions) {
          unknownPermission(String(permission), `${directory}: google_project_iam_custom_role.${name}`);
        }
      }
    }
    const sections = { resource: terraform.resource, data: terraform.data };
    for (const { path, value } of stringsIn(sections)) {
      for (const [role] of value.matchAll(predefinedRole)) {
        if (!catalogue.roles.has(role)) {
          findings.push({
            rule: "iam-catalogue",
            message: `${role} (${directory}: ${path}) is not a predefined role in Google Cloud's IAM catalogue`,
          });
        }
      }
    }
  }
  for (const { path, value } of stringsIn(data)) {
    for (const [role] of value.matchAll(predefinedRole)) {
      if (!catalogue.roles.has(role)) {
        findings.push({
          rule: "iam-catalogue",
          message: `${role} (modelgate.generated.json: ${path}) is not a predefined role in Google Cloud's IAM catalogue`,
        });
      }
    }
  }
  return findings;
}
