import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ParsedTerraform } from "../support/infra/infra-check.js";
import {
  betaBlocks,
  checkProviderSchema,
  type ProviderSchema,
} from "../support/infra/provider-schema-check.js";
import { loadProviderSchema, type ParsedModule, parseInfra } from "./support/reference.js";

/**
 * Every google_* resource and data source in infra/ against the google provider's schema in MODELGATE_REFERENCE
 * (default ../shared/reference): only arguments and blocks the provider has, every required one set.
 */
// Loaded while the file is collected: a missing reference folder fails the file by name, no test is skipped.
const schema: ProviderSchema = loadProviderSchema();
const modules: ParsedModule[] = await parseInfra();

type Bodies = Record<string, Record<string, Array<Record<string, unknown>>>>;

/** The parsed files of infra/, with `plant` applied to a copy of one file's resources. */
function planted(file: string, plant: (resources: Bodies) => void) {
  const files = modules
    .flatMap((m) => m.files)
    .map((f) => ({ file: f.file, parsed: structuredClone(f.parsed) }));
  const target = files.find((f) => f.file === file);
  if (!target) throw new Error(`no ${file} in infra/`);
  plant(target.parsed.resource as Bodies);
  return checkProviderSchema(files, schema).map((f) => f.message);
}

const first = (resources: Bodies, type: string, name: string): Record<string, unknown> => {
  const body = resources[type]?.[name]?.[0];
  if (!body) throw new Error(`no ${type}.${name}`);
  return body;
};

describe("infra/ against the google provider's schema", () => {
  it("uses only arguments and blocks the provider has, and sets every required one", () => {
    expect(
      checkProviderSchema(
        modules.flatMap((m) => m.files),
        schema,
      ),
    ).toEqual([]);
  });

  it("uses the google-beta provider only for what the google provider does not have", () => {
    for (const block of betaBlocks(modules.flatMap((m) => m.files))) {
      const ga = block.section === "data" ? schema.data_sources[block.type] : schema.resources[block.type];
      expect(
        ga,
        `${block.file}: ${block.address} runs on google-beta, but google ${schema.version} has ${block.type}`,
      ).toBeUndefined();
    }
  });

  it("covers every resource and data source type infra/ declares", () => {
    const files = modules.flatMap((m) => m.files);
    const beta = new Set(betaBlocks(files).map((b) => (b.section === "data" ? `data.${b.type}` : b.type)));
    const types = modules
      .flatMap((m) => [
        ...Object.keys(m.terraform.resource ?? {}),
        ...Object.keys(m.terraform.data ?? {}).map((t) => `data.${t}`),
      ])
      .filter((t) => !beta.has(t));
    expect(types.length).toBeGreaterThan(10);
    for (const type of types) {
      const bare = type.replace(/^data\./, "");
      const known = type.startsWith("data.") ? schema.data_sources[bare] : schema.resources[bare];
      expect(known, type).toBeDefined();
    }
  });

  it("names an unknown argument in a nested block", () => {
    const found = planted("modules/modelgate/functions.tf", (r) => {
      const config = (
        first(r, "google_cloudfunctions2_function", "function").service_config as ParsedTerraform[]
      )[0];
      if (config) config.ingress_setting = "ALLOW_INTERNAL_ONLY";
    });
    expect(found).toContain(
      "modules/modelgate/functions.tf: google_cloudfunctions2_function.function: service_config.ingress_setting is not an argument or block of block service_config of google_cloudfunctions2_function",
    );
  });

  it("names an unknown argument inside a dynamic block's content", () => {
    let block = "";
    const found = planted("modules/modelgate/functions.tf", (r) => {
      const function_ = first(r, "google_cloudfunctions2_function", "function");
      const config = (function_.service_config as ParsedTerraform[])[0];
      const dynamic = config?.dynamic as Record<string, Array<{ content: Array<Record<string, unknown>> }>>;
      const [name, entries] = Object.entries(dynamic ?? {})[0] ?? [];
      const content = entries?.[0]?.content[0];
      if (!name || !content) throw new Error("service_config has no dynamic block to plant into");
      block = name;
      content.secret_version = "latest";
    });
    expect(found).toContain(
      `modules/modelgate/functions.tf: google_cloudfunctions2_function.function: service_config.${block}.secret_version is not an argument or block of block service_config.${block} of google_cloudfunctions2_function`,
    );
  });

  it("names a missing required argument, and a missing required block", () => {
    const found = planted("modules/modelgate/functions.tf", (r) => {
      delete first(r, "google_cloudfunctions2_function", "function").location;
    });
    expect(found).toContain(
      "modules/modelgate/functions.tf: google_cloudfunctions2_function.function: the required argument location of google_cloudfunctions2_function is not set",
    );
    const secrets = planted("modules/modelgate/secrets.tf", (r) => {
      delete first(r, "google_secret_manager_secret", "secret").replication;
    });
    expect(secrets).toContain(
      "modules/modelgate/secrets.tf: google_secret_manager_secret.secret: the required block replication of google_secret_manager_secret is not set",
    );
  });

  it("names a resource type the provider does not have", () => {
    const found = planted("modules/modelgate/pubsub.tf", (r) => {
      r.google_pubsub_topic_subscription = { extra: [{ name: "x" }] };
    });
    expect(found).toContain(
      "modules/modelgate/pubsub.tf: google_pubsub_topic_subscription.extra: google_pubsub_topic_subscription is not a resource of the google provider 6.50.0",
    );
  });

  it("is checked against the provider version the example environment pins", () => {
    // What the schema check proves holds for the provider that runs: the example pins exactly that version.
    const versions = modules
      .flatMap((m) => m.files)
      .find((f) => f.file === join("environments", "example", "versions.tf"));
    const required = (versions?.parsed.terraform as Array<Record<string, unknown>> | undefined)?.[0]
      ?.required_providers as Array<Record<string, { version?: string }>> | undefined;
    expect(schema.version).toBeDefined();
    expect(required?.[0]?.google?.version).toBe(schema.version);
    expect(required?.[0]?.["google-beta"]?.version).toBe(schema.version);
  });
});
