import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { nextMove } from "../../functions/rollout-model/next-move.js";
import { goldenExamples, newGoldenTally } from "../../functions/verify-deployment/golden-stream.js";
import { decideVerdict, type VerdictInput } from "../../functions/verify-deployment/verdict.js";
import { parseConfig } from "../../shared/config.js";
import type { VerificationCompleted } from "../../shared/contracts.js";
import { parseDuration } from "../../shared/rollout-config.js";
import { type RolloutStep, rolloutSteps } from "../../shared/rollout-plan.js";

const example = readFileSync("modelgate.config.yaml", "utf8");

function withRollout(rollout: unknown): string {
  const doc = parse(example) as { models: Record<string, Record<string, unknown>> };
  (doc.models["fraud-detector"] as Record<string, unknown>).rollout = rollout;
  return stringify(doc);
}

describe("rollout steps in the configuration", () => {
  it("reads steps with their bake, approval and sample size", () => {
    const config = parseConfig(
      withRollout({
        steps: [
          { traffic: 10 },
          { traffic: 50, bake: "30m", approval: true, sampleSize: 2000 },
          { traffic: 100 },
        ],
      }),
    );
    const model = config.models["fraud-detector"];
    if (!model) throw new Error("fraud-detector is configured");
    expect(rolloutSteps(model)).toEqual([
      { index: 0, traffic: 10, approval: false },
      { index: 1, traffic: 50, approval: true, bakeMs: 1_800_000, sampleSize: 2000 },
      { index: 2, traffic: 100, approval: false },
    ]);
    expect(model.rollout?.confidence).toBe(0.95);
  });

  it("without steps is the single canary at canary.trafficPercent", () => {
    const model = parseConfig(withRollout(undefined)).models["fraud-detector"];
    if (!model) throw new Error("fraud-detector is configured");
    expect(rolloutSteps(model)).toEqual([{ index: 0, traffic: 10, approval: false }]);
  });

  it.each([
    [
      "shares that do not increase",
      { steps: [{ traffic: 50 }, { traffic: 50 }, { traffic: 100 }] },
      /rollout.steps\[1\].traffic: must be more than the step before's 50/,
    ],
    [
      "a last step below 100",
      { steps: [{ traffic: 10 }, { traffic: 50 }] },
      /rollout.steps\[1\].traffic: the last step must give the candidate 100, not 50/,
    ],
    [
      "a bake without a unit",
      { steps: [{ traffic: 10, bake: "30" }, { traffic: 100 }] },
      /rollout.steps\[0\].bake: "30" is not a duration/,
    ],
    [
      "a fractional bake",
      { steps: [{ traffic: 10, bake: "1.5h" }, { traffic: 100 }] },
      /"1.5h" is not a duration/,
    ],
    [
      "a bake beyond 30 days",
      { steps: [{ traffic: 10, bake: "31d" }, { traffic: 100 }] },
      /longer than 30 days/,
    ],
    ["no steps", { steps: [] }, /rollout.steps/],
    ["a confidence of 1", { steps: [{ traffic: 100 }], confidence: 1 }, /rollout.confidence/],
  ])("refuses %s, naming the field", (_case, rollout, message) => {
    expect(() => parseConfig(withRollout(rollout))).toThrow(message);
  });

  it.each([
    ["45s", 45_000],
    ["30m", 1_800_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
  ])("parses the duration %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe("a step's sample", () => {
  it("is the first N non-blank golden lines, bad ones counted, the rest not read", async () => {
    const tally = newGoldenTally();
    let groupsRead = 0;
    async function* source() {
      for (const group of [
        ["", '{"instance":1,"label":1}', "bad"],
        ['{"instance":2,"label":0}', '{"instance":3,"label":1}'],
        ['{"instance":4,"label":1}'],
      ]) {
        groupsRead++;
        yield group;
      }
    }
    const seen: unknown[] = [];
    for await (const group of goldenExamples(source(), tally, 3)) seen.push(...group.map((e) => e.instance));
    expect(seen).toEqual([1, 2]);
    expect(tally).toMatchObject({ lines: 3, examples: 2, badLines: 1 });
    expect(groupsRead).toBe(2);
  });
});

describe("an inconclusive step", () => {
  const base: VerdictInput = {
    goldenLines: 40,
    scored: 40,
    accuracy: 35 / 40,
    correct: 35,
    minAccuracy: 0.85,
    servingAccuracy: undefined,
    maxAccuracyDrop: 0.03,
    driftMetric: "jensen-shannon",
    drift: 0.02,
    driftThreshold: 0.1,
    confidence: 0.95,
  };

  it("is undecided when the accuracy interval straddles the minimum, and shows the interval", () => {
    const decision = decideVerdict(base);
    expect(decision.verdict).toBe("inconclusive");
    expect(decision.reasons[0]).toMatch(
      /accuracy 0.8750, 95 % interval \[0.7389, 0.9454\], straddles minimum 0.8500/,
    );
    expect(decision.checks.find((c) => c.name === "accuracy")?.interval).toMatchObject({ confidence: 0.95 });
  });

  it("passes the same accuracy on a sample large enough, and fails one clearly below", () => {
    expect(
      decideVerdict({ ...base, goldenLines: 4000, scored: 4000, correct: 3600, accuracy: 0.9 }).verdict,
    ).toBe("pass");
    expect(decideVerdict({ ...base, correct: 20, accuracy: 0.5 }).verdict).toBe("fail");
  });

  it("is undecided when the accuracy drop's interval straddles the allowed drop", () => {
    const large = {
      ...base,
      goldenLines: 2000,
      scored: 2000,
      correct: 1800,
      accuracy: 0.9,
      minAccuracy: 0.5,
    };
    const decision = decideVerdict({ ...large, servingAccuracy: 0.92, maxAccuracyDrop: 0.03 });
    expect(decision.verdict).toBe("inconclusive");
    expect(decision.reasons[0]).toMatch(/^accuracy drop 0.0200 .*interval.* straddles the allowed 0.0300/);
  });

  it("fails rather than pauses when another check fails outright", () => {
    expect(decideVerdict({ ...base, drift: 0.5 }).verdict).toBe("fail");
  });

  it("does not exist without a confidence: the single canary decides on point values as before", () => {
    const { confidence: _none, ...pointValues } = base;
    expect(decideVerdict(pointValues).verdict).toBe("pass");
  });
});

describe("the move after a step's verdict", () => {
  const steps: RolloutStep[] = [
    { index: 0, traffic: 10, approval: false },
    { index: 1, traffic: 50, approval: true },
    { index: 2, traffic: 100, approval: false },
  ];
  const at = (rolloutStep: number, verdict: VerificationCompleted["verdict"], resume?: "promote" | "abort") =>
    ({
      rolloutStep,
      verdict,
      ...(resume ? { resume: { action: resume, by: "alice", at: "2026-01-01T00:00:00Z" } } : {}),
    }) as VerificationCompleted;

  it.each([
    [at(0, "pass"), { kind: "pause", reason: "approval", step: 1 }],
    [at(0, "pass", "promote"), { kind: "advance", step: steps[1] }],
    [at(1, "pass"), { kind: "advance", step: steps[2] }],
    [at(2, "pass"), { kind: "finish" }],
    [at(1, "fail"), { kind: "roll-back", aborted: false }],
    [at(1, "inconclusive"), { kind: "pause", reason: "inconclusive", step: 1 }],
    [at(1, "inconclusive", "promote"), { kind: "advance", step: steps[2] }],
    [at(1, "pass", "abort"), { kind: "roll-back", aborted: true }],
  ])("%o → %o", (message, move) => {
    expect(nextMove(message, steps)).toEqual(move);
  });
});
