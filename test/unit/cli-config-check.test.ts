import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";

async function check(yaml: string): Promise<{ code: number; out: string }> {
  const file = join(tmpdir(), `modelgate-check-${process.pid}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  const out: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env: {} };
  return { code: await runCli(["config", "check", file], io), out: out.join("") };
}

describe("modelgate config check", () => {
  it("says that a model without promoters cannot be promoted by tag", async () => {
    const example = readFileSync("modelgate.config.yaml", "utf8");
    const withoutPromoters = example.replace(/promoters: \[[^\]]*\]/, "promoters: []");
    expect(withoutPromoters).not.toBe(example);
    const { code, out } = await check(withoutPromoters);
    expect(code).toBe(0);
    expect(out).toContain(
      "note: models.fraud-detector.promotion.promoters is empty: nobody may promote fraud-detector by pushing a tag (deny by default); autoDeploy still deploys every registered version",
    );
  });

  it("says nothing of promoters when they are configured", async () => {
    const { code, out } = await check(readFileSync("modelgate.config.yaml", "utf8"));
    expect(code).toBe(0);
    expect(out).not.toContain("note:");
  });

  it("names the field of a training image repository given with a tag", async () => {
    const example = readFileSync("modelgate.config.yaml", "utf8");
    const tagged = example.replace(
      "ciImageRepository: us-docker.pkg.dev/local-project/ci/fraud-detector-trainer",
      "ciImageRepository: us-docker.pkg.dev/local-project/ci/fraud-detector-trainer:latest",
    );
    expect(tagged).not.toBe(example);
    const { code, out } = await check(tagged);
    expect(code).toBe(1);
    expect(out).toContain("models.fraud-detector.training.ciImageRepository:");
  });
});
