import { describe, expect, it } from "vitest";
import { ValidationError } from "../../shared/errors.js";
import { parseReleasesFile } from "../../shared/releases/releases-file.js";

const path = "modelgate.releases.yaml";

describe("parseReleasesFile", () => {
  it("reads commits, tags and canary shares; an empty `releases:` declares nothing", () => {
    const text = `releases:\n  churn:\n    commit: ${"a".repeat(40)}\n    canary: 10\n  fraud-detector: { tag: promote/fraud-detector/v3 }\n`;
    expect(parseReleasesFile(text, path)).toEqual({
      entries: [
        { model: "churn", commit: "a".repeat(40), canary: 10 },
        { model: "fraud-detector", tag: "promote/fraud-detector/v3" },
      ],
      problems: [],
    });
    expect(parseReleasesFile("releases:\n", path)).toEqual({ entries: [], problems: [] });
  });

  it.each([
    ["only digits", "1234567890".repeat(4)],
    ["digits with one e (a float to YAML's core schema)", `12e4${"0".repeat(36)}`],
  ])("keeps a SHA of %s as written", (_name, sha) => {
    expect(parseReleasesFile(`releases:\n  churn: { commit: ${sha} }\n`, path).entries).toEqual([
      { model: "churn", commit: sha },
    ]);
  });

  it.each([
    ["an abbreviated SHA", "churn: { commit: abc1234 }", /full 40-digit/],
    ["both commit and tag", `churn: { commit: ${"a".repeat(40)}, tag: v1 }`, /exactly one/],
    ["neither", "churn: { canary: 10 }", /exactly one/],
    ["a canary of 100", `churn: { commit: ${"a".repeat(40)}, canary: 100 }`, /canary/],
    ["a canary that is no number", `churn: { commit: ${"a".repeat(40)}, canary: lots }`, /canary/],
    ["an unknown field", `churn: { commit: ${"a".repeat(40)}, traffic: 5 }`, /traffic/],
    ["a name that is no model name", `Churn/X: { commit: ${"a".repeat(40)} }`, /not a model name/],
  ])("reports %s as a problem naming the entry, and still reads the others", (_name, line, problem) => {
    const file = parseReleasesFile(`releases:\n  ${line}\n  scorer: { tag: v2 }\n`, path);
    expect(file.entries).toEqual([{ model: "scorer", tag: "v2" }]);
    expect(file.problems).toHaveLength(1);
    expect(file.problems[0]?.message).toMatch(problem);
  });

  it.each([
    ["not YAML", "releases: [", /is not YAML/],
    ["a list", "- churn\n", /`releases`/],
    ["another key", "releases: {}\nextra: 1\n", /`releases`/],
    [
      "an alias bomb",
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nreleases: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      /YAML|alias/i,
    ],
  ])("refuses a file that is %s, naming the path", (_name, text, problem) => {
    expect(() => parseReleasesFile(text, path)).toThrow(ValidationError);
    expect(() => parseReleasesFile(text, path)).toThrow(problem);
    expect(() => parseReleasesFile(text, path)).toThrow(path);
  });
});
