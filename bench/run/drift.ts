// Drift: time to build the output distribution of `count` scores and measure its Jensen-Shannon divergence from a
// ten-bin baseline, as verification does.
import { OutputDistribution } from "../../functions/verify-deployment/output-drift.js";
import { median } from "./context.js";

export interface DriftFigures {
  scores: number;
  medianMs: number;
  runsMs: number[];
  value: number | undefined;
}

export function driftOverScores(count: number): DriftFigures {
  const baseline = {
    kind: "numeric" as const,
    binEdges: Array.from({ length: 11 }, (_, i) => i / 10),
    counts: Array.from({ length: 10 }, (_, i) => 1000 + i * 37),
  };
  let seed = 42;
  const scores = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    scores[i] = seed / 2147483648;
  }
  const times: number[] = [];
  let value: number | undefined;
  for (let run = 0; run < 7; run++) {
    const started = performance.now();
    const distribution = new OutputDistribution(baseline);
    for (let i = 0; i < count; i++) distribution.add(scores[i] ?? 0);
    value = distribution.drift("jensen-shannon");
    times.push(performance.now() - started);
  }
  return { scores: count, medianMs: median(times), runsMs: times, value };
}
