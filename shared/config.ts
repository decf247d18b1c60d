import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { type Config, ConfigSchema, type ModelConfig } from "./config-schema.js";
import { driftThresholdIssues } from "./drift-metrics.js";
import { ConfigError } from "./errors.js";
import { formatIssues } from "./zod-issues.js";

export type { Config, ModelConfig } from "./config-schema.js";

/** Where the configuration is read from when MODELGATE_CONFIG is not set (relative to the working directory). */
export const defaultConfigPath = "modelgate.config.yaml";

/**
 * Reads and validates modelgate.config.yaml once, at start. The path comes from MODELGATE_CONFIG, else the
 * committed example. A bad file throws a ConfigError naming every field at fault and what was expected.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const path = resolve(env.MODELGATE_CONFIG ?? defaultConfigPath);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `cannot read the configuration file ${path} (set MODELGATE_CONFIG to its path): ${(error as Error).message}`,
      { cause: error },
    );
  }
  return parseConfig(text, path);
}

/** Validates configuration text; `source` names the file in error messages. */
export function parseConfig(text: string, source = "modelgate.config.yaml"): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  const result = ConfigSchema.safeParse(raw);
  const issues = result.success ? driftThresholdIssues(result.data.models) : formatIssues(result.error);
  if (!result.success || issues.length > 0) {
    const lines = issues.map((i) => `  ${i.path || "(root)"}: ${i.message}`);
    throw new ConfigError(`${source} is invalid:\n${lines.join("\n")}`, { details: { issues } });
  }
  return result.data;
}

/**
 * The configured model of that name, or undefined. Names come from input (object paths, messages, arguments), so
 * only the configuration's own keys count: `models["constructor"]` would otherwise be Object.
 */
export function findModelConfig(config: Config, model: string): ModelConfig | undefined {
  return Object.hasOwn(config.models, model) ? config.models[model] : undefined;
}

/** The configured model, or a ConfigError naming the unknown model. */
export function modelConfig(config: Config, model: string): ModelConfig {
  const found = findModelConfig(config, model);
  if (!found)
    throw new ConfigError(
      `model "${model}" is not configured (models: ${Object.keys(config.models).join(", ")})`,
    );
  return found;
}

/** The tag glob that promotes a commit of this model. */
export function promotionTagPattern(config: Config, model: string): string {
  return modelConfig(config, model).promotion.tagPattern ?? `promote/${model}/*`;
}

/** Full resource name of the model's endpoint. */
export function endpointName(config: Config, model: string): string {
  return `projects/${config.project}/locations/${config.region}/endpoints/${modelConfig(config, model).endpoint}`;
}

/** The `projects/<p>/locations/<r>` parent of every Vertex AI resource. */
export function vertexParent(config: Config): string {
  return `projects/${config.project}/locations/${config.region}`;
}
