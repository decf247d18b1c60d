import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { endpointName, loadConfig, parseConfig, promotionTagPattern } from "../../shared/config.js";
import { ConfigError } from "../../shared/errors.js";

const example = readFileSync("modelgate.config.yaml", "utf8");

function withChange(mutate: (doc: Record<string, any>) => void): string {
  const doc = parse(example) as Record<string, any>;
  mutate(doc);
  return stringify(doc);
}

describe("loadConfig", () => {
  it("loads the committed example by default and fills defaults", () => {
    const config = loadConfig({});
    const model = config.models["fraud-detector"];
    expect(model?.canary.trafficPercent).toBe(10);
    expect(model?.training.timeoutMinutes).toBe(120);
    expect(promotionTagPattern(config, "fraud-detector")).toBe("promote/fraud-detector/*");
    expect(endpointName(config, "fraud-detector")).toBe(
      "projects/local-project/locations/us-central1/endpoints/fraud-detector",
    );
  });

  it("names the variable when the file cannot be read", () => {
    expect(() => loadConfig({ MODELGATE_CONFIG: "/nonexistent/modelgate.yaml" })).toThrow(/MODELGATE_CONFIG/);
  });

  it.each([
    [
      "a canary share above 99",
      (d: any) => (d.models["fraud-detector"].canary.trafficPercent = 150),
      "models.fraud-detector.canary.trafficPercent",
    ],
    [
      "a bad drift metric",
      (d: any) => (d.models["fraud-detector"].verification.drift.metric = "kl"),
      "models.fraud-detector.verification.drift.metric",
    ],
    [
      "a repository not allowed",
      (d: any) => (d.github.repositories = ["acme/other"]),
      "models.fraud-detector.repository",
    ],
    ["an unknown field", (d: any) => (d.models["fraud-detector"].trainng = {}), "models.fraud-detector"],
    ["a bad model name", (d: any) => (d.models.Bad_Name = d.models["fraud-detector"]), "models.Bad_Name"],
    ["no paths", (d: any) => (d.models["fraud-detector"].paths = []), "models.fraud-detector.paths"],
    ["a bad bucket", (d: any) => (d.bucket = "UPPER"), "bucket"],
    [
      "replicas inverted",
      (d: any) => (d.models["fraud-detector"].serving.maxReplicas = 0),
      "models.fraud-detector.serving.maxReplicas",
    ],
    [
      "a missing golden set",
      (d: any) => delete d.models["fraud-detector"].verification.goldenSet,
      "models.fraud-detector.verification.goldenSet",
    ],
    [
      "a Flux object of a repository not allowed",
      (d: any) => (d.flux.objects[0].repository = "acme/other"),
      "flux.objects[0].repository",
    ],
    [
      "a Flux object that is not a kind",
      (d: any) => (d.flux.objects[0].kind = "kustomization"),
      "flux.objects[0].kind",
    ],
    [
      "a drift mode that is neither report nor repair",
      (d: any) => (d.models["fraud-detector"].releases = { drift: "fix" }),
      "models.fraud-detector.releases.drift",
    ],
  ])("refuses %s and names the field", (_name, mutate, path) => {
    const text = withChange(mutate);
    let thrown: unknown;
    try {
      parseConfig(text, "test.yaml");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toContain("test.yaml is invalid");
    expect((thrown as Error).message).toContain(`${path}:`);
  });

  it("refuses text that is not YAML", () => {
    expect(() => parseConfig("models: [unclosed", "x.yaml")).toThrow(/x.yaml is not valid YAML/);
  });
});

describe("drift thresholds, judged by their metric", () => {
  it("refuses, with the field named, a threshold a bounded metric can never exceed", () => {
    const text = withChange((doc) => {
      doc.models["fraud-detector"].verification.drift = { metric: "jensen-shannon", threshold: 1.5 };
    });
    expect(() => parseConfig(text, "test.yaml")).toThrow(
      /models\.fraud-detector\.verification\.drift\.threshold.*Jensen-Shannon divergence lies in \[0, 1\], so a threshold of 1\.5 could never fail/s,
    );
  });
});
