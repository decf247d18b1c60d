import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { type Config, loadConfig } from "../../shared/config.js";

type ConfigDocument = { models: Record<string, any>; [key: string]: any };

/**
 * The repository's modelgate.config.yaml, edited, written to a temporary file: its path and the configuration as
 * the functions will load it from there.
 */
export function exampleConfigCopy(edit: (doc: ConfigDocument) => void): { path: string; config: Config } {
  const doc = parse(readFileSync(resolve("modelgate.config.yaml"), "utf8")) as ConfigDocument;
  edit(doc);
  const path = join(mkdtempSync(join(tmpdir(), "modelgate-config-")), "modelgate.config.yaml");
  writeFileSync(path, stringify(doc));
  return { path, config: loadConfig({ MODELGATE_CONFIG: path }) };
}

/** The example with fraud-detector on the single canary (no rollout steps): what the chain did before steps. */
export function singleCanaryConfig() {
  return exampleConfigCopy((doc) => {
    delete doc.models["fraud-detector"].rollout;
  });
}

/** A configuration with every model on the single canary: its rollout steps, if any, removed. */
export function withoutRolloutSteps(config: Config): Config {
  const models = Object.fromEntries(
    Object.entries(config.models).map(([name, { rollout: _steps, ...model }]) => [name, model]),
  );
  return { ...config, models };
}
