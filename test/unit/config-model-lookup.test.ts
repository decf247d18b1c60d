import { describe, expect, it } from "vitest";
import { endpointName, findModelConfig, loadConfig, modelConfig } from "../../shared/config.js";
import { ConfigError } from "../../shared/errors.js";
import { ModelName } from "../../shared/names.js";

const config = loadConfig({});

describe("model lookup by a name from input", () => {
  // Names of Object.prototype's members that pass the model name pattern (issue 14, item 5).
  const inherited = Object.getOwnPropertyNames(Object.prototype).filter(
    (n) => ModelName.safeParse(n).success,
  );

  it("covers the inherited names a model name can spell", () => {
    expect(inherited).toContain("constructor");
  });

  it.each(inherited)("finds no model named %s", (name) => {
    expect(findModelConfig(config, name)).toBeUndefined();
    expect(() => modelConfig(config, name)).toThrow(ConfigError);
    expect(() => endpointName(config, name)).toThrow(`model "${name}" is not configured`);
  });

  it("finds a configured model", () => {
    expect(findModelConfig(config, "fraud-detector")?.endpoint).toBe("fraud-detector");
  });
});
