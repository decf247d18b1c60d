import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { infraData } from "../../scripts/generate-infra-data.js";
import { instanceV8Flags } from "../../shared/function-runtime.js";
import { functions as declared, FunctionName, functionNames } from "../../shared/topology.js";

describe("function runtime settings", () => {
  it("gives an instance the heap Node derives from its memory, then its NODE_OPTIONS (the later flag wins)", () => {
    expect(instanceV8Flags(FunctionName.githubWebhook)).toEqual([
      "--max-old-space-size=256",
      "--max-semi-space-size=1",
    ]);
    const verify = instanceV8Flags(FunctionName.verifyDeployment);
    expect(verify.slice(0, 2)).toEqual(["--max-old-space-size=256", "--max-semi-space-size=1"]);
    expect(verify.at(-1)).toBe("--max-semi-space-size=16");
  });

  it("reaches Terraform: each function's memory and NODE_OPTIONS are in the generated data, and set", () => {
    const { functions } = infraData() as {
      functions: Record<string, { memory: string; node_options: string }>;
    };
    for (const name of functionNames) {
      expect(functions[name]?.memory, name).toBe(declared[name].memory);
      expect(functions[name]?.node_options, name).toBe(declared[name].nodeOptions);
    }
    const hcl = readFileSync(new URL("../../infra/modules/modelgate/functions.tf", import.meta.url), "utf8");
    expect(hcl).toMatch(/NODE_OPTIONS = each\.value\.node_options/);
    expect(hcl).toMatch(/memory = f\.memory/);
  });
});
