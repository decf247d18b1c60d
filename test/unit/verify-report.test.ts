import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../functions/verify-deployment/escape-html.js";
import type { VerificationReport } from "../../functions/verify-deployment/report.js";
import { renderReportHtml } from "../../functions/verify-deployment/report-html.js";
import { distributionSvg } from "../../functions/verify-deployment/report-svg.js";

const hostile = `<script>alert("x")</script>&'`;

function reportWith(change: Partial<VerificationReport> = {}): VerificationReport {
  return {
    schemaVersion: 1,
    model: "fraud-detector",
    commit: "c0ffee0000000000000000000000000000000001",
    repository: "acme/fraud-detector",
    correlationId: "corr",
    createdAt: "2026-01-01T00:00:00.000Z",
    deployment: {
      endpoint: "projects/p/locations/us-central1/endpoints/e",
      modelResource: "projects/p/locations/us-central1/models/m",
      versionId: "2",
      deployedModelId: "1234567890",
      canaryPercent: 10,
      previousDeployedModelId: "1111111111",
    },
    verdict: "fail",
    reasons: [`drift because ${hostile}`],
    checks: [
      { name: "accuracy", passed: true, detail: "accuracy 0.9000 ≥ minimum 0.8500" },
      { name: "drift", passed: false, detail: `drift because ${hostile}` },
    ],
    metrics: { accuracy: 0.9, drift: 0.2, scored: 1000 },
    settings: {
      minAccuracy: 0.85,
      maxAccuracyDrop: 0.03,
      minCoverage: 0.95,
      driftMetric: "jensen-shannon",
      driftThreshold: 0.1,
      batchSize: 100,
      concurrency: 4,
      maxRequests: 100_000,
    },
    goldenSet: {
      uri: "gs://b/golden/m.jsonl",
      lines: 1001,
      examples: 1000,
      badLines: 1,
      badLineSamples: [{ line: 7, reason: `not valid JSON ${hostile}` }],
    },
    candidate: { scored: 1000, correct: 900, unreadable: 0, outputKey: "score" },
    scoring: {
      requests: 12,
      instancesSent: 1200,
      batches: 10,
      candidateInstances: 1000,
      unscoredInstances: 0,
      refusedInstances: 0,
      resends: 2,
      routedRequests: 0,
      instancesPerScoredRow: 1.2,
      instancesServedByOthers: 200,
      failedRequests: 0,
      responsesByDeployedModel: { "1234567890": 10, "1111111111": 2 },
      servedBy: {},
      resendBudgetExhausted: false,
    },
    drift: {
      metric: "jensen-shannon",
      value: 0.2,
      threshold: 0.1,
      distributions: {
        kind: "numeric",
        binEdges: [0, 0.25, 0.5, 0.75, 1],
        baseline: [1, 2, 3, 4],
        observed: [4, 3, 2, 1],
      },
    },
    serving: { deployedModelId: "1111111111", commit: "5e7e", recordedAccuracy: 0.91, problem: hostile },
    ...change,
  };
}

describe("renderReportHtml", () => {
  it("is one self-contained page with the verdict, reasons, metrics and a chart", () => {
    const html = renderReportHtml(reportWith());
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain('<span class="verdict fail">FAIL</span>');
    expect(html).toContain("<svg");
    // The chart names the metric by its registry display name.
    expect(html).toContain(
      "<title>Prediction distribution: Jensen-Shannon divergence 0.2000 (threshold 0.1000)</title>",
    );
    expect(html).toContain("<th>accuracy</th><td>0.9000</td>");
    expect(html).toContain("1234567890 (candidate)");
    // No external assets: nothing is fetched when the page is opened from the bucket.
    expect(html).not.toMatch(/<script|<link|src=|href=|@import|url\(/i);
  });

  it("escapes every text that came from outside", () => {
    const html = renderReportHtml(reportWith({ model: hostile as string }));
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;");
  });

  it("shows an inconclusive step: its verdict, the undecided check with its interval, and the steps before it", () => {
    const html = renderReportHtml(
      reportWith({
        verdict: "inconclusive",
        deployment: { ...reportWith().deployment, canaryPercent: 50, rolloutStep: 1 },
        settings: { ...reportWith().settings, sampleSize: 100, confidence: 0.95 },
        checks: [
          {
            name: "accuracy-drop",
            passed: false,
            undecided: true,
            interval: { lower: -0.01, upper: 0.07, confidence: 0.95 },
            detail:
              "accuracy drop 0.0200 against the serving version's 0.9700, 95 % interval [-0.0100, 0.0700], straddles the allowed 0.0600",
          },
        ],
        metrics: { accuracy: 0.95, accuracyLower: 0.888, accuracyUpper: 0.978 },
        earlierSteps: [
          {
            step: 0,
            canaryPercent: 10,
            verdict: "pass",
            verifiedAt: "2026-01-01T00:00:00.000Z",
            lines: 1000,
            accuracy: 0.947,
            accuracyLower: 0.931,
            accuracyUpper: 0.959,
            reportUri: "gs://b/reports/fraud-detector/c/report.json",
          },
        ],
      }),
    );
    expect(html).toContain('<span class="verdict inconclusive">INCONCLUSIVE</span>');
    expect(html).toContain("rollout step 1");
    expect(html).toContain("on a sample of the first 100 golden lines");
    expect(html).toContain('<tr class="undecided"><th>accuracy-drop</th><td>undecided</td>');
    expect(html).toContain("95 % interval [-0.0100, 0.0700], straddles the allowed 0.0600");
    expect(html).toMatch(
      /<th>step 0<\/th><td>pass<\/td><td>10%<\/td><td>1000<\/td><td>0.9470 \[0.9310, 0.9590\]<\/td>/,
    );
    expect(html).toMatch(/<th>step 1 \(this report\)<\/th><td>inconclusive<\/td><td>50%<\/td>/);
  });

  it("says when there is no serving version to compare with", () => {
    expect(renderReportHtml(reportWith({ serving: null }))).toContain("accuracy-drop check does not apply");
  });
});

describe("distributionSvg", () => {
  it("draws a baseline and an observed bar per bin, with axis labels and a legend", () => {
    const svg = distributionSvg(
      { kind: "numeric", binEdges: [0, 0.25, 0.5, 0.75, 1], baseline: [1, 1, 1, 1], observed: [0, 0, 1, 3] },
      { title: "drift", xLabel: "score" },
    );
    expect(svg.match(/<rect class="baseline"/g)).toHaveLength(4);
    expect(svg.match(/<rect class="observed"/g)).toHaveLength(4);
    expect(svg).toContain('<text class="x-label"');
    expect(svg).toContain("share of predictions");
    expect(svg).toContain("training baseline");
    expect(svg).toContain(">0.75<");
    // The observed share of the last bin is 75 %: the tallest bar reaches the top of the plot.
    expect(svg).toContain("observed 75.00%");
    expect(svg).toContain("baseline 25.00%");
  });

  it("draws categories by frequency, escapes their names and caps how many", () => {
    const baseline: Record<string, number> = { [hostile]: 10 };
    for (let i = 0; i < 60; i++) baseline[`c${i}`] = 1;
    const svg = distributionSvg(
      { kind: "categorical", baseline, observed: { [hostile]: 5, fresh: 5 } },
      { title: "t", xLabel: "class" },
    );
    expect(svg).not.toContain("<script>");
    expect(svg.match(/<rect class="observed"/g)).toHaveLength(40);
    expect(svg).toContain("the 40 most frequent of 62");
    expect(svg).toContain("fresh");
  });
});

describe("escapeHtml", () => {
  it("escapes the five characters that matter in text and attributes", () => {
    expect(escapeHtml(`a<b>&"'`)).toBe("a&lt;b&gt;&amp;&quot;&#39;");
  });
});
