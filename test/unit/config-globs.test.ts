import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { PushPayload } from "../../functions/github-webhook/payloads.js";
import { routePush } from "../../functions/github-webhook/route-push.js";
import { parseConfig } from "../../shared/config.js";
import { ConfigError } from "../../shared/errors.js";
import { GlobBound, globMatcher } from "../../shared/glob.js";
import { ingressTestConfig } from "../support/ingress-config.js";
import { ownJson } from "../support/ingress-fixtures.js";

/** The glob of the attacker review (issue 14, item 10): 21.6 s against a 68-character tag. */
const backtrackingGlob = "release/*a*a*a*a*a*a*a*b";

function configWith(mutate: (doc: Record<string, any>) => void): string {
  const doc = parse(readFileSync("modelgate.config.yaml", "utf8")) as Record<string, any>;
  mutate(doc);
  return stringify(doc);
}

function refusal(text: string): string {
  try {
    parseConfig(text, "test.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("the configuration was accepted");
}

describe("configured globs are bounded", () => {
  it.each([
    [
      "a tag pattern with 8 wildcards",
      (d: any) => (d.models["fraud-detector"].promotion.tagPattern = backtrackingGlob),
      "models.fraud-detector.promotion.tagPattern",
      "at most 3 wildcards",
    ],
    [
      "a paths glob with 4 wildcards",
      (d: any) => (d.models["fraud-detector"].paths = ["models/*a*a*a*b"]),
      "models.fraud-detector.paths[0]",
      "at most 3 wildcards",
    ],
    [
      "an extglob group among the wildcards",
      (d: any) => (d.models["fraud-detector"].paths = ["models/**/*a+(a|b)*b"]),
      "models.fraud-detector.paths[0]",
      "at most 3 wildcards",
    ],
    [
      "a tag pattern longer than 256 characters",
      (d: any) => (d.models["fraud-detector"].promotion.tagPattern = `promote/${"x".repeat(300)}`),
      "models.fraud-detector.promotion.tagPattern",
      "at most 256 characters",
    ],
  ])("refuses %s and names the field", (_name, mutate, field, expected) => {
    const message = refusal(configWith(mutate));
    expect(message).toContain(`${field}: a glob`);
    expect(message).toContain(expected);
  });

  it("accepts globs within the bounds (three wildcards, braces)", () => {
    const config = parseConfig(
      configWith((d: any) => {
        d.models["fraud-detector"].paths = ["models/**/data/**/*.csv", "{src,lib}/**"];
        d.models["fraud-detector"].promotion.tagPattern = "release/*-*";
      }),
    );
    expect(config.models["fraud-detector"]?.paths).toHaveLength(2);
  });
});

describe("globMatcher", () => {
  it("refuses input longer than its bound without running the expression", () => {
    // Unbounded, this match backtracks for hours; bounded, it is refused at once.
    const matches = globMatcher(backtrackingGlob, GlobBound.refLength);
    expect(matches(`release/${"a".repeat(GlobBound.refLength)}`)).toBe(false);
    expect(matches("release/aaaaaaab")).toBe(true);
  });
});

describe("routePush with an over-long tag", () => {
  // A tag push is judged against the time GitHub says it happened; a minute later here.
  const now = new Date("2024-06-11T10:00:00.000Z");
  const pushedAt = now.getTime() / 1000 - 60;
  it("ignores a tag longer than the bound, even one the pattern would match", () => {
    const payload = ownJson<Record<string, any>>("github/push-main.json");
    payload.repository.full_name = "acme/churn";
    payload.sender = { ...payload.sender, login: "release-bot" };
    payload.ref = `refs/tags/release/churn-${"1".repeat(GlobBound.refLength)}`;
    payload.repository.pushed_at = pushedAt;
    const route = routePush(ingressTestConfig(), PushPayload.parse(payload), now);
    expect(route.decisions).toEqual([]);
    expect(route.ignored).toEqual([
      `a tag of ${GlobBound.refLength + 14} characters is longer than the ${GlobBound.refLength} matched`,
    ]);
  });

  it("still promotes a tag within the bound", () => {
    const payload = ownJson<Record<string, any>>("github/push-main.json");
    payload.repository.full_name = "acme/churn";
    payload.sender = { ...payload.sender, login: "release-bot" };
    payload.ref = "refs/tags/release/churn-1";
    payload.repository.pushed_at = pushedAt;
    const route = routePush(ingressTestConfig(), PushPayload.parse(payload), now);
    expect(route.decisions.map((d) => d.kind)).toEqual(["promote"]);
  });
});
