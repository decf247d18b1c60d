import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { OutputDistribution } from "../../functions/verify-deployment/output-drift.js";
import { parseConfig } from "../../shared/config.js";
import {
  type DriftMetricName,
  type DriftMetricSpec,
  defaultDriftMetric,
  driftMetric,
  driftMetricNames,
  driftMetrics,
  driftThresholdIssue,
  driftThresholdIssues,
  driftWithinThreshold,
} from "../../shared/drift-metrics.js";
import { ConfigError } from "../../shared/errors.js";

const counts = fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 1, maxLength: 12 });
/** Two count vectors over the same bins, neither empty. */
const pair = counts
  .chain((p) =>
    fc.tuple(
      fc.constant(p),
      fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: p.length, maxLength: p.length }),
    ),
  )
  .filter(([p, q]) => p.some((c) => c > 0) && q.some((c) => c > 0));

function configWithMetric(metric: string, threshold = 0.1): string {
  const doc = parse(readFileSync("modelgate.config.yaml", "utf8")) as Record<string, any>;
  doc.models["fraud-detector"].verification.drift = { metric, threshold };
  return stringify(doc);
}

describe.each(driftMetricNames)("drift metric %s", (name) => {
  const metric: DriftMetricSpec = driftMetrics[name];

  it("is 0 for proportional distributions and never negative", () => {
    expect(metric.compute([1, 3, 0], [2, 6, 0])).toBeCloseTo(0, 12);
    fc.assert(fc.property(pair, ([p, q]) => metric.compute(p, q) >= 0));
  });

  it("stays within [0, 1] when it says it is bounded", () => {
    fc.assert(
      fc.property(pair, ([p, q]) => {
        const value = metric.compute(p, q);
        return !metric.bounded || (value >= 0 && value <= 1);
      }),
    );
  });

  it("is what verification measures on numeric and categorical baselines", () => {
    const numeric = new OutputDistribution({ kind: "numeric", binEdges: [0, 0.5, 1], counts: [3, 1] });
    for (const score of [0.1, 0.7, 0.9, 1.0]) numeric.add(score);
    expect(numeric.drift(name)).toBe(metric.compute([3, 1], [1, 3]));

    const categorical = new OutputDistribution({ kind: "categorical", counts: { legit: 3, fraud: 1 } });
    for (const label of ["legit", "fraud", "fraud", "other"]) categorical.add(label);
    // Categories over their union, in one order: legit, fraud, other.
    expect(categorical.drift(name)).toBe(metric.compute([3, 1, 0], [1, 2, 1]));
  });

  it("is accepted by the configuration and found by name", () => {
    const config = parseConfig(configWithMetric(name));
    expect(config.models["fraud-detector"]?.verification.drift.metric).toBe(name);
    expect(driftMetric(name)).toBe(metric);
    expect(metric.displayName).not.toBe("");
  });
});

describe("the drift metric registry", () => {
  it("gives each metric its own display name, and defaults to a registered one", () => {
    const names = driftMetricNames.map((n) => driftMetrics[n].displayName);
    expect(new Set(names).size).toBe(names.length);
    expect(driftMetricNames).toContain(defaultDriftMetric);
    expect(parseConfig(configWithMetric(defaultDriftMetric)).models["fraud-detector"]).toBeDefined();
  });

  it("fails loudly on an unknown metric instead of measuring another one", () => {
    expect(() => driftMetric("psi")).toThrow(ConfigError);
    expect(() => driftMetric("psi")).toThrow(
      /unknown drift metric "psi" \(known: jensen-shannon, l-infinity\)/,
    );
    expect(() => driftMetric("toString")).toThrow(/unknown drift metric "toString"/);
    const numeric = new OutputDistribution({ kind: "numeric", binEdges: [0, 1], counts: [1] });
    numeric.add(0.5);
    expect(() => numeric.drift("psi" as DriftMetricName)).toThrow(/unknown drift metric "psi"/);
    const categorical = new OutputDistribution({ kind: "categorical", counts: { a: 1 } });
    categorical.add("a");
    expect(() => categorical.drift("kl" as DriftMetricName)).toThrow(/unknown drift metric "kl"/);
  });

  it("rejects an unknown metric in the configuration, naming the field", () => {
    expect(() => parseConfig(configWithMetric("psi"))).toThrow(
      /models\.fraud-detector\.verification\.drift\.metric/,
    );
  });
});

describe("drift thresholds", () => {
  const bounded: DriftMetricSpec = { displayName: "Bounded", bounded: true, compute: () => 0 };
  const unbounded: DriftMetricSpec = { displayName: "Unbounded", bounded: false, compute: () => 0 };

  it.each([
    [bounded, 0, undefined],
    [bounded, 1, undefined],
    [bounded, 1.5, /Bounded lies in \[0, 1\], so a threshold of 1.5 could never fail/],
    [unbounded, 1.5, undefined],
    [unbounded, 250, undefined],
    [unbounded, -0.1, /finite number ≥ 0, got -0.1/],
    [bounded, Number.NaN, /finite number ≥ 0, got NaN/],
    [unbounded, Number.POSITIVE_INFINITY, /finite number ≥ 0, got Infinity/],
  ])("%o with threshold %d: %s", (metric, threshold, expected) => {
    const issue = driftThresholdIssue(metric, threshold);
    if (expected === undefined) expect(issue).toBeUndefined();
    else expect(issue).toMatch(expected);
  });

  it("reports a threshold that does not suit the metric under the model's path", () => {
    const models = { m: { verification: { drift: { metric: "l-infinity" as const, threshold: 2 } } } };
    expect(driftThresholdIssues(models)).toEqual([
      {
        path: "models.m.verification.drift.threshold",
        message: "L-infinity distance lies in [0, 1], so a threshold of 2 could never fail",
      },
    ]);
    expect(
      driftThresholdIssues({ m: { verification: { drift: { metric: "l-infinity", threshold: 1 } } } }),
    ).toEqual([]);
  });

  it.each([
    [0.1, 0.1, true],
    [0.1000001, 0.1, false],
    [3.5, 4, true],
    [Number.POSITIVE_INFINITY, 1e9, false],
    [Number.NaN, 1, false],
  ])("drift %d against threshold %d is within: %s", (value, threshold, within) => {
    expect(driftWithinThreshold(value, threshold)).toBe(within);
  });
});
