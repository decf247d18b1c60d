import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse } from "@cdktf/hcl2json";
import { type IamCatalogue, loadIamCatalogue } from "../../support/infra/iam-catalogue.js";
import { type InfraDataJson, mergeTerraform, type ParsedTerraform } from "../../support/infra/infra-check.js";
import type { ProviderSchema } from "../../support/infra/provider-schema-check.js";

export const repoRoot = resolve(import.meta.dirname, "..", "..", "..");
export const infraDir = join(repoRoot, "infra");

/**
 * The folder of references the project did not write: MODELGATE_REFERENCE, default ../shared/reference from the
 * repository root. A missing folder fails the suite (it is never skipped).
 */
export function referenceDir(env: Record<string, string | undefined> = process.env): string {
  const dir = resolve(repoRoot, env.MODELGATE_REFERENCE ?? "../shared/reference");
  for (const needed of [
    "gcp-iam/permissions.txt",
    "gcp-iam/predefined-roles.json",
    "terraform-google/schema.json",
  ]) {
    if (!existsSync(join(dir, needed))) {
      throw new Error(
        `reference data missing: ${join(dir, needed)} does not exist; set MODELGATE_REFERENCE to the folder holding gcp-iam/ and terraform-google/ (see docs/reference-checks.md)`,
      );
    }
  }
  return dir;
}

export const loadCatalogue = (): Promise<IamCatalogue> => loadIamCatalogue(referenceDir());

export function loadProviderSchema(): ProviderSchema {
  return JSON.parse(
    readFileSync(join(referenceDir(), "terraform-google", "schema.json"), "utf8"),
  ) as ProviderSchema;
}

/** A module directory of infra/ (or a copy of it), each file parsed on its own. */
export interface ParsedModule {
  directory: string;
  files: Array<{ file: string; parsed: ParsedTerraform }>;
  terraform: ParsedTerraform;
}

/** Every directory under `root` holding .tf files, parsed with @cdktf/hcl2json. */
export async function parseInfra(root: string = infraDir): Promise<ParsedModule[]> {
  const dirs = new Set<string>();
  for (const f of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    if (f.endsWith(".tf") && !f.includes(".terraform")) dirs.add(join(root, f, ".."));
  }
  const modules: ParsedModule[] = [];
  for (const dir of [...dirs].sort()) {
    const names = readdirSync(dir)
      .filter((f) => f.endsWith(".tf"))
      .sort();
    const files = await Promise.all(
      names.map(async (f) => ({
        file: relative(root, join(dir, f)),
        parsed: (await parse(f, readFileSync(join(dir, f), "utf8"))) as ParsedTerraform,
      })),
    );
    modules.push({
      directory: relative(root, dir),
      files,
      terraform: mergeTerraform(files.map((f) => f.parsed)),
    });
  }
  return modules;
}

/** One parsed module directory (relative to infra/). */
export function moduleNamed(modules: readonly ParsedModule[], directory: string): ParsedTerraform {
  const found = modules.find((m) => m.directory === directory);
  if (!found) throw new Error(`infra/${directory} has no .tf files`);
  return found.terraform;
}

export function generatedData(root: string = infraDir): InfraDataJson {
  return JSON.parse(readFileSync(join(root, "modules", "modelgate", "modelgate.generated.json"), "utf8"));
}
