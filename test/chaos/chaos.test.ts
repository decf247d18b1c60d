import { describe, expect, it } from "vitest";
import { runChaos } from "./harness.js";
import { formatReport } from "./table.js";

// The whole chain on the local stack under injected faults (see docs/reliability.md): every webhook and Pub/Sub
// message delivered 1–4 times and out of order, UNAVAILABLE / RESOURCE_EXHAUSTED on Vertex AI calls, late and
// failing long-running operations, function processes killed inside a step and restarted. The plan is drawn from
// the printed seed; replay a failure with MODELGATE_CHAOS_SEED=<seed>. `npm test` runs a small size,
// `npm run test:chaos` a larger one (MODELGATE_CHAOS_COMMITS commits per model).
const seed = Number(process.env.MODELGATE_CHAOS_SEED ?? 20_240_608);
const commitsPerModel = Number(process.env.MODELGATE_CHAOS_COMMITS ?? 2);

describe("chaos: the chain under duplicates, reordering, Vertex AI faults and crashes", () => {
  it(`keeps every invariant (seed ${seed}, ${commitsPerModel} commit(s) per model)`, {
    timeout: 240_000 + commitsPerModel * 2 * 150_000,
  }, async () => {
    const report = await runChaos({
      seed,
      commitsPerModel,
      ...(process.env.MODELGATE_CHAOS_VERBOSE ? { log: (line: string) => console.log(`  · ${line}`) } : {}),
    });
    console.log(formatReport(report));

    expect(report.problems).toEqual([]);
    // Two models' commits, and the one pushed during the designed Vertex AI outage.
    expect(report.commits).toHaveLength(commitsPerModel * 2 + 1);
    for (const commit of report.commits) {
      expect(commit.trainingJobs).toBe(1);
      expect(commit.versions).toBe(1);
      expect(commit.deployments).toBe(commit.expectedDeployments);
      expect(commit.splitOk).toBe(true);
      expect(commit.ledgerComplete).toBe(true);
      expect(commit.lost).toBe(0);
      // Dead-lettered only by design, and then replayed to completion (lost is 0 above).
      expect(commit.deadLettered > 0).toBe(commit.outage);
    }
    // The releases phase: the serving commit declared and applied, a split changed by hand repaired once, exactly.
    expect(report.releases).toEqual({ applied: "serving", repairs: 1, splitExact: true });
    expect(report.deadLettered).toBe(report.deadLetteredByDesign);
    expect(report.replayed).toBe(report.deadLettered);
    // The faults were really there.
    expect(report.webhookDuplicates + report.pubsubDuplicates).toBeGreaterThan(0);
    expect(report.crashes.length).toBeGreaterThan(0);
  });
});
