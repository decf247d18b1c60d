import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { probeConfiguration, terraform } from "../../scripts/terraform-probe.js";
import { infraDir } from "./support/reference.js";

/**
 * The real terraform binary on infra/: formatting, and every expression evaluated through a provider-free copy
 * (scripts/terraform-probe.ts) with the example environment's variables. See docs/reference-checks.md for what
 * this proves and what only a real `terraform plan` can.
 */
const probeTimeout = 180_000;
const copies: string[] = [];

afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A copy of infra/ beside a dist/functions/ that holds a stand-in zip and manifest entry for every function
 * (what `npm run build` writes), so the example environment's `file()` and `filesha256()` calls read real files.
 */
function infraCopy(): { root: string; example: string; varFile: string } {
  const root = mkdtempSync(join(tmpdir(), "modelgate-infra-"));
  copies.push(root);
  cpSync(infraDir, join(root, "infra"), { recursive: true, filter: (src) => !src.includes(".terraform") });
  const data = JSON.parse(
    readFileSync(join(root, "infra", "modules", "modelgate", "modelgate.generated.json"), "utf8"),
  ) as { functions: Record<string, unknown> };
  const dist = join(root, "dist", "functions");
  mkdirSync(dist, { recursive: true });
  const manifest: Record<string, { zip: string; sha256: string }> = {};
  for (const name of Object.keys(data.functions)) {
    const zip = Buffer.from(`stand-in bundle of ${name}`);
    writeFileSync(join(dist, `${name}.zip`), zip);
    manifest[name] = { zip: `${name}.zip`, sha256: createHash("sha256").update(zip).digest("hex") };
  }
  writeFileSync(join(dist, "manifest.json"), JSON.stringify(manifest));
  const example = join(root, "infra", "environments", "example");
  return { root, example, varFile: join(example, "terraform.tfvars.example") };
}

function plant(file: string, from: string, to: string): void {
  const text = readFileSync(file, "utf8");
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  writeFileSync(file, text.replace(from, to));
}

/** Probes a copy of the infrastructure in which each `[file, from, to]` replaces `from` in a module file. */
async function probeWithModuleEdits(edits: Array<[file: string, from: string, to: string]>) {
  const { root, example, varFile } = infraCopy();
  for (const [file, from, to] of edits) plant(join(root, "infra", "modules", "modelgate", file), from, to);
  return probeConfiguration(example, varFile);
}

describe("the real terraform binary on infra/", () => {
  it("is installed", async () => {
    const version = await terraform(["version"], tmpdir());
    expect(version.output, "terraform must be on PATH for the reference checks").toMatch(
      /Terraform v\d+\.\d+\.\d+/,
    );
  });

  it("finds infra/ formatted (terraform fmt -check -recursive)", async () => {
    const fmt = await terraform(["fmt", "-check", "-recursive", "-no-color", infraDir], tmpdir());
    expect(fmt.output.trim(), "files terraform fmt would change").toBe("");
    expect(fmt.ok).toBe(true);
  });

  it(
    "validates and plans the example environment's provider-free copy",
    async () => {
      const { example, varFile } = infraCopy();
      const result = await probeConfiguration(example, varFile);
      expect(result.output).not.toContain("Error:");
      expect(result).toMatchObject({ step: "plan", ok: true });
      expect(result.output).toContain("Changes to Outputs");
    },
    probeTimeout,
  );

  it(
    "catches the lookup() whose default is not of the map's element type",
    async () => {
      const result = await probeWithModuleEdits([
        ["functions.tf", "try(var.function_settings[name], {})", "lookup(var.function_settings, name, {})"],
      ]);
      expect(result.ok).toBe(false);
      const output = result.output.replace(/\s+/g, " ");
      expect(output).toContain("the default value must have the same type as the map elements");
      expect(output).toContain("lookup(var.function_settings, name, {})");
      expect(output).toContain("(generated from modelgate: functions.tf)");
    },
    probeTimeout,
  );

  it(
    "catches an attribute the data does not have, and a reference to an instance that does not exist",
    async () => {
      const result = await probeWithModuleEdits([
        [
          "pubsub.tf",
          "local.data.delivery_policy.ack_deadline_seconds",
          "local.data.delivery_policy.ack_deadline",
        ],
        [
          "functions.tf",
          "google_cloudfunctions2_function.function[local.data.public_function].name",
          'google_cloudfunctions2_function.function["tekton-events"].name',
        ],
      ]);
      expect(result.ok).toBe(false);
      expect(result.output).toContain("local.data.delivery_policy.ack_deadline");
      expect(result.output).toMatch(/Unsupported attribute/);
      expect(result.output).toContain('"tekton-events"');
      expect(result.output).toMatch(/Invalid index/);
    },
    probeTimeout,
  );

  it(
    "catches a variable the example environment leaves unset",
    async () => {
      const { example, varFile } = infraCopy();
      plant(varFile, 'gke_project_id      = "my-ci-project"', "");
      const result = await probeConfiguration(example, varFile);
      expect(result.ok).toBe(false);
      expect(result.output).toContain("No value for required variable");
      expect(result.output).toContain('variable "gke_project_id"');
    },
    probeTimeout,
  );
});
