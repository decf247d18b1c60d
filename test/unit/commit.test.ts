import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { fullestCommit, sameRepository } from "../../shared/commit.js";
import { parseConfig } from "../../shared/config.js";

const full = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";

describe("one form of commit and repository", () => {
  it.each([
    [[full.slice(0, 7), full], full],
    [[full, full.slice(0, 12)], full],
    [[full.slice(0, 7), full.slice(0, 12)], full.slice(0, 12)],
  ])("fullestCommit(%j) is %s", (forms, expected) => {
    const [first = "", ...others] = forms;
    expect(fullestCommit(first, ...others)).toBe(expected);
  });

  it.each([
    ["acme/fraud-detector", "Acme/Fraud-Detector", true],
    ["acme/fraud-detector", "acme/fraud-detector", true],
    ["acme/fraud-detector", "acme/fraud-detectors", false],
    ["acme/fraud-detector", "other/fraud-detector", false],
  ])("sameRepository(%s, %s) is %s", (a, b, same) => {
    expect(sameRepository(a, b)).toBe(same);
  });

  it("accepts a model's repository spelled in another case than github.repositories, as GitHub does", () => {
    const doc = parse(readFileSync("modelgate.config.yaml", "utf8")) as Record<string, any>;
    const repository = doc.models["fraud-detector"].repository as string;
    doc.models["fraud-detector"].repository = repository.toUpperCase();
    const config = parseConfig(stringify(doc));
    expect(config.models["fraud-detector"]?.repository).toBe(repository.toUpperCase());
  });
});
