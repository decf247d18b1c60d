import { describe, expect, it } from "vitest";
import { formatLoadReport, runWebhookLoad } from "../../scripts/load-webhook.js";

// A small, bounded variant of `scripts/load-webhook.ts`: signed deliveries from autocannon on loopback to the real
// githubWebhook process, a fifth of them redeliveries of an earlier delivery id. It asserts exactly-once
// publication, never speed (the figures are printed).
describe("githubWebhook under load", () => {
  it("publishes every accepted delivery exactly once, and nothing else", { timeout: 120_000 }, async () => {
    const report = await runWebhookLoad({
      rates: [20, 40],
      secondsPerRate: 2,
      duplicateShare: 0.2,
      connections: 4,
    });
    console.log(formatLoadReport(report));
    expect(report.accepted).toBeGreaterThan(0);
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.published).toBe(report.accepted);
    for (const step of report.steps) {
      expect(step.errors).toBe(0);
      for (const code of Object.keys(step.statuses)) expect(["200", "202", "409"]).toContain(code);
    }
  });
});
