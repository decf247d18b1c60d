import { Verdict } from "../../shared/contracts.js";
import { driftMetrics } from "../../shared/drift-metrics.js";
import { escapeHtml } from "./escape-html.js";
import type { VerificationReport } from "./report.js";
import { distributionSvg } from "./report-svg.js";

const style = `<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; padding: 0 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { text-align: left; padding: 0.25rem 0.75rem; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
.verdict { display: inline-block; padding: 0.2rem 0.8rem; border-radius: 0.3rem; color: #fff; font-weight: 600; }
.verdict.pass, tr.pass td:nth-child(2) { background: #2e7d32; color: #fff; }
.verdict.fail, tr.fail td:nth-child(2) { background: #c62828; color: #fff; }
.verdict.inconclusive, tr.undecided td:nth-child(2) { background: #ef6c00; color: #fff; }
code { font-size: 0.9em; }
</style>`;

/**
 * The report as one self-contained HTML page: inline style, inline SVG, no scripts and no external assets (it
 * is opened straight from the bucket), every value from the report escaped.
 */
export function renderReportHtml(report: VerificationReport): string {
  const e = escapeHtml;
  const title = `${report.model}@${report.commit.slice(0, 12)}: verification ${report.verdict}`;
  const metricRows = Object.entries(report.metrics)
    .map(([name, value]) => `<tr><th>${e(name)}</th><td>${e(formatNumber(value))}</td></tr>`)
    .join("\n");
  const checkRows = report.checks
    .map(
      (c) =>
        `<tr class="${checkClass(c)}"><th>${e(c.name)}</th><td>${checkClass(c) === "pass" ? "passed" : checkClass(c) === "fail" ? "failed" : "undecided"}</td><td>${e(c.detail)}</td></tr>`,
    )
    .join("\n");
  const responses = Object.entries(report.scoring.responsesByDeployedModel)
    .map(
      ([id, n]) =>
        `<tr><th>${e(id)}${id === report.deployment.deployedModelId ? " (candidate)" : ""}</th><td>${n}</td></tr>`,
    )
    .join("\n");
  const badLines =
    report.goldenSet.badLineSamples.length === 0
      ? ""
      : `<h3>Bad golden lines (first ${report.goldenSet.badLineSamples.length} of ${report.goldenSet.badLines})</h3><ul>${report.goldenSet.badLineSamples
          .map((b) => `<li>line ${b.line}: ${e(b.reason)}</li>`)
          .join("")}</ul>`;
  const serving = servingHtml(report);
  const chart = distributionSvg(report.drift.distributions, {
    title: `Prediction distribution: ${driftMetrics[report.drift.metric].displayName} ${report.drift.value === null ? "not measured" : formatNumber(report.drift.value)} (threshold ${formatNumber(report.drift.threshold)})`,
    xLabel:
      report.drift.distributions.kind === "numeric"
        ? `${report.candidate.outputKey} (bins of the training baseline)`
        : `${report.candidate.outputKey} (category)`,
  });

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
${style}
</head>
<body>
<h1>${e(report.model)} <code>${e(report.commit)}</code></h1>
<p><span class="verdict ${report.verdict}">${report.verdict.toUpperCase()}</span>
 verified ${e(report.createdAt)} on <code>${e(report.deployment.endpoint)}</code>,
 deployed model <code>${e(report.deployment.deployedModelId)}</code> (${report.deployment.canaryPercent}% canary${report.deployment.rolloutStep === undefined ? "" : `, rollout step ${report.deployment.rolloutStep}`})${report.settings.sampleSize === undefined ? "" : `, on a sample of the first ${report.settings.sampleSize} golden lines`}${report.settings.confidence === undefined ? "" : `, intervals at ${report.settings.confidence * 100} %`}</p>
${rolloutHtml(report)}
<h2>Reasons</h2>
<ul>${report.reasons.map((r) => `<li>${e(r)}</li>`).join("")}</ul>
<h2>Checks</h2>
<table>${checkRows}</table>
<h2>Metrics</h2>
<table>${metricRows}</table>
<h2>Prediction drift</h2>
${chart}
<h2>Serving version</h2>
${serving}
<h2>Golden set</h2>
<table>
<tr><th>object</th><td>${e(report.goldenSet.uri)}</td></tr>
<tr><th>lines</th><td>${report.goldenSet.lines}</td></tr>
<tr><th>examples</th><td>${report.goldenSet.examples}</td></tr>
<tr><th>bad lines</th><td>${report.goldenSet.badLines}</td></tr>
</table>
${badLines}
<h2>Predict requests</h2>
<table>
<tr><th>requests</th><td>${report.scoring.requests}</td></tr>
<tr><th>instances sent</th><td>${report.scoring.instancesSent}</td></tr>
<tr><th>re-sends</th><td>${report.scoring.resends}</td></tr>
<tr><th>failed requests</th><td>${report.scoring.failedRequests}</td></tr>
${report.scoring.firstError ? `<tr><th>first error</th><td>${e(String(report.scoring.firstError.message ?? ""))}</td></tr>` : ""}
</table>
<h3>Answers by deployed model</h3>
<table>${responses}</table>
</body>
</html>
`;
}

function checkClass(check: VerificationReport["checks"][number]): "pass" | "fail" | "undecided" {
  return check.passed ? "pass" : check.undecided ? "undecided" : "fail";
}

/** The rollout so far: each earlier step's share, sample, accuracy with its interval, verdict and time, then this. */
function rolloutHtml(report: VerificationReport): string {
  const e = escapeHtml;
  if (!report.earlierSteps || report.earlierSteps.length === 0) return "";
  const accuracy = (a?: number, lo?: number, hi?: number) =>
    a === undefined
      ? "n/a"
      : `${formatNumber(a)}${lo === undefined || hi === undefined ? "" : ` [${formatNumber(lo)}, ${formatNumber(hi)}]`}`;
  const rows = report.earlierSteps.map(
    (s) =>
      `<tr class="${s.verdict === Verdict.pass ? "pass" : s.verdict === Verdict.fail ? "fail" : "undecided"}"><th>step ${s.step}</th><td>${e(s.verdict)}</td><td>${s.canaryPercent}%</td><td>${s.lines}</td><td>${e(accuracy(s.accuracy, s.accuracyLower, s.accuracyUpper))}</td><td>${e(s.verifiedAt)}</td></tr>`,
  );
  const m = report.metrics;
  rows.push(
    `<tr class="${checkClass({ name: "accuracy", passed: report.verdict === Verdict.pass, detail: "", ...(report.verdict === Verdict.inconclusive ? { undecided: true } : {}) })}"><th>step ${report.deployment.rolloutStep ?? 0} (this report)</th><td>${e(report.verdict)}</td><td>${report.deployment.canaryPercent}%</td><td>${report.goldenSet.lines}</td><td>${e(accuracy(m.accuracy, m.accuracyLower, m.accuracyUpper))}</td><td>${e(report.createdAt)}</td></tr>`,
  );
  return `<h2>Rollout so far</h2>
<table><tr><th>step</th><th>verdict</th><th>share</th><th>golden lines</th><th>accuracy [interval]</th><th>verified</th></tr>
${rows.join("\n")}</table>`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

function servingHtml(report: VerificationReport): string {
  const e = escapeHtml;
  if (!report.serving)
    return "<p>No version served before this one: the accuracy-drop check does not apply.</p>";
  return `<table>
<tr><th>deployed model</th><td>${e(report.serving.deployedModelId)}</td></tr>
<tr><th>commit</th><td>${e(report.serving.commit ?? "unknown")}</td></tr>
<tr><th>recorded accuracy</th><td>${e(report.serving.recordedAccuracy === undefined ? "n/a" : formatNumber(report.serving.recordedAccuracy))}</td></tr>
<tr><th>observed accuracy on golden batches it answered</th><td>${e(report.serving.observedAccuracy === undefined ? "n/a" : `${formatNumber(report.serving.observedAccuracy)} (${report.serving.observedScored ?? 0} examples)`)}</td></tr>
${report.serving.problem ? `<tr><th>note</th><td>${e(report.serving.problem)}</td></tr>` : ""}
</table>`;
}
