/**
 * Checks every `resource "google_*"` and `data "google_*"` block against the google provider's schema (a
 * reference the project did not write; see docs/reference-checks.md): only arguments and nested blocks the
 * provider has, recursively, and every required one set (a `dynamic "x"` block stands for block x).
 */
import type { Finding, ParsedTerraform } from "./infra-check.js";

/** One argument or nested block of a schema: required or not, and the nested block's name in `blocks`. */
export interface SchemaArgument {
  required: boolean;
  block?: string;
}
type SchemaBody = Readonly<Record<string, SchemaArgument>>;

/** The reference's shape: resources and data sources by type, nested blocks by name. */
export interface ProviderSchema {
  version?: string;
  resources: Readonly<Record<string, { arguments: SchemaBody }>>;
  data_sources: Readonly<Record<string, { arguments: SchemaBody }>>;
  blocks: Readonly<Record<string, SchemaBody>>;
}

/** Terraform's own arguments, valid in every resource and data block whatever the provider. */
const metaArguments = new Set([
  "count",
  "for_each",
  "depends_on",
  "provider",
  "lifecycle",
  "provisioner",
  "connection",
]);

type Body = Record<string, unknown>;

/** Whether a block names a google-beta provider (`provider = google-beta`, or an alias of it). */
function onBeta(body: Record<string, unknown>): boolean {
  return (
    typeof body.provider === "string" && /^(?:\$\{)?google-beta(?:\.\w+)?\}?$/.test(body.provider.trim())
  );
}

/**
 * The `resource`/`data` blocks that run on the google-beta provider, which the reference does not describe:
 * checkProviderSchema leaves them out, and the suite requires each to be a type the GA provider lacks.
 */
export function betaBlocks(
  files: ReadonlyArray<{ file: string; parsed: ParsedTerraform }>,
): Array<{ file: string; section: "resource" | "data"; type: string; address: string }> {
  const found: Array<{ file: string; section: "resource" | "data"; type: string; address: string }> = [];
  for (const { file, parsed } of files) {
    for (const section of ["resource", "data"] as const) {
      for (const [type, named] of Object.entries(parsed[section] ?? {})) {
        for (const [name, bodies] of Object.entries(named)) {
          if (bodies.some(onBeta)) {
            found.push({
              file,
              section,
              type,
              address: `${section === "data" ? "data." : ""}${type}.${name}`,
            });
          }
        }
      }
    }
  }
  return found;
}

/**
 * Checks the parsed files of a configuration (file name → hcl2json output) against `schema`; blocks on the
 * google-beta provider are left to `betaBlocks`.
 */
export function checkProviderSchema(
  files: ReadonlyArray<{ file: string; parsed: ParsedTerraform }>,
  schema: ProviderSchema,
): Finding[] {
  const findings: Finding[] = [];
  const provider = `the google provider${schema.version ? ` ${schema.version}` : ""}`;
  for (const { file, parsed } of files) {
    for (const [section, kinds, label] of [
      ["resource", schema.resources, "resource"],
      ["data", schema.data_sources, "data source"],
    ] as const) {
      for (const [type, named] of Object.entries(parsed[section] ?? {})) {
        if (!type.startsWith("google_")) continue;
        for (const [name, bodies] of Object.entries(named)) {
          const address = `${section === "data" ? "data." : ""}${type}.${name}`;
          const known = kinds[type];
          if (!known && !bodies.every(onBeta)) {
            findings.push({
              rule: "provider-schema",
              resource: address,
              message: `${file}: ${address}: ${type} is not a ${label} of ${provider}`,
            });
            continue;
          }
          if (!known) continue;
          for (const body of bodies) {
            if (onBeta(body)) continue;
            findings.push(
              ...checkBody(
                body,
                known.arguments,
                schema,
                (problem) => ({
                  rule: "provider-schema",
                  resource: address,
                  message: `${file}: ${address}: ${problem}`,
                }),
                { topLevel: true, path: "", type },
              ),
            );
          }
        }
      }
    }
  }
  return findings;
}

function checkBody(
  body: Body,
  expected: SchemaBody,
  schema: ProviderSchema,
  finding: (problem: string) => Finding,
  at: { topLevel: boolean; path: string; type: string },
): Finding[] {
  const findings: Finding[] = [];
  const where = at.path ? `block ${at.path} of ${at.type}` : at.type;
  const present = new Set<string>();
  const visit = (name: string, value: unknown) => {
    present.add(name);
    const argument = expected[name];
    if (!argument) {
      findings.push(
        finding(`${at.path ? `${at.path}.` : ""}${name} is not an argument or block of ${where}`),
      );
      return;
    }
    if (argument.block === undefined) return;
    const nested = schema.blocks[argument.block];
    if (!nested) return;
    if (!Array.isArray(value)) {
      findings.push(
        finding(`${at.path ? `${at.path}.` : ""}${name} is a block of ${where}; write it as a block`),
      );
      return;
    }
    for (const inner of value) {
      if (inner && typeof inner === "object" && !Array.isArray(inner)) {
        const path = at.path ? `${at.path}.${name}` : name;
        findings.push(
          ...checkBody(inner as Body, nested, schema, finding, { topLevel: false, path, type: at.type }),
        );
      }
    }
  };
  for (const [name, value] of Object.entries(body)) {
    if (at.topLevel && metaArguments.has(name)) continue;
    if (name === "dynamic" && value && typeof value === "object" && !Array.isArray(value)) {
      for (const [block, entries] of Object.entries(value as Record<string, unknown>)) {
        const contents = Array.isArray(entries)
          ? entries.flatMap((e) => ((e as Body | null)?.content as unknown[] | undefined) ?? [])
          : [];
        visit(block, contents);
      }
      continue;
    }
    visit(name, value);
  }
  for (const [name, argument] of Object.entries(expected)) {
    if (argument.required && !present.has(name)) {
      const what = argument.block === undefined ? "argument" : "block";
      findings.push(
        finding(`the required ${what} ${at.path ? `${at.path}.` : ""}${name} of ${where} is not set`),
      );
    }
  }
  return findings;
}
