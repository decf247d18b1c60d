import type { ChaosReport } from "./report.js";

/** The chaos run as text: the totals, then one row per commit. */
export function formatReport(report: ChaosReport): string {
  const lines: string[] = [];
  const statuses = Object.entries(report.webhookStatuses)
    .map(([s, n]) => `${s}×${n}`)
    .join(" ");
  lines.push(
    `chaos run: seed ${report.seed}, ${report.commitsPerModel} commit(s) per model, ${report.seconds} s`,
    `  replay: MODELGATE_CHAOS_SEED=${report.seed} MODELGATE_CHAOS_COMMITS=${report.commitsPerModel} npm run test:chaos`,
    "",
    table(
      ["", "count"],
      [
        ["webhook deliveries sent", report.webhookDeliveries],
        ["  of which duplicates", report.webhookDuplicates],
        ["  answers", statuses],
        ["Pub/Sub messages published", report.pubsubPublished],
        ["Pub/Sub push deliveries", report.pubsubDeliveries],
        ["  of which injected duplicates", report.pubsubDuplicates],
        ["Vertex AI faults injected (UNAVAILABLE / RESOURCE_EXHAUSTED)", report.vertexFaultsInjected],
        ["  of which hit a call", report.vertexFaultsHit],
        ["long-running operations failed", report.operationFaults],
        ["function processes killed and restarted", report.crashes.length],
        ["messages dead-lettered", report.deadLettered],
        ["  of which by design (the Vertex AI outage)", report.deadLetteredByDesign],
        ["messages replayed", report.replayed],
        [
          "release applied / drift repairs asked / split exact",
          report.releases
            ? `${report.releases.applied} / ${report.releases.repairs} / ${report.releases.splitExact ? "yes" : "NO"}`
            : "not run",
        ],
      ],
    ),
    "",
  );
  if (report.crashes.length > 0) {
    lines.push(
      table(
        ["crash", "function", "point"],
        report.crashes.map((c) => [`${c.model}@${c.commit.slice(0, 8)}`, c.fn, c.point]),
      ),
      "",
    );
  }
  lines.push(
    table(
      [
        "commit",
        "data",
        "verdicts",
        "jobs",
        "versions",
        "deploys/promotions",
        "final split",
        "split ok",
        "ledger",
        "lost",
        "dead-lettered",
        "crashes",
      ],
      report.commits.map((c) => [
        `${c.model}@${c.commit.slice(0, 8)}`,
        c.outage ? `${c.data}, outage` : c.data,
        c.verdicts.join(",") || "-",
        c.trainingJobs,
        c.versions,
        `${c.deployments}/${c.expectedDeployments}`,
        c.split || "{}",
        c.splitOk ? "yes" : "NO",
        c.ledgerComplete ? "complete" : "INCOMPLETE",
        c.lost,
        c.deadLettered,
        c.crashes,
      ]),
    ),
  );
  lines.push("", report.problems.length === 0 ? "invariants: all hold" : "invariants VIOLATED:");
  for (const p of report.problems) lines.push(`  - ${p}`);
  return lines.join("\n");
}

function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}
