// The targets a run is checked against (docs/performance.md), each with the figure that bounds it when missed.
import { goldenSizes, shortCount, spread } from "./context.js";
import type { Figures, Target } from "./figures.js";
import { fmtMs, fmtRate } from "./format.js";

export function targetsOf(figures: Figures): Target[] {
  return [...coldStartTargets(figures), ...verificationTargets(figures), ...otherTargets(figures)];
}

function coldStartTargets({ cold }: Figures): Target[] {
  const { bare, refusal, ioFloor, steps, naive } = cold;
  return [
    {
      target: "githubWebhook refusal cold start ≤ 1.3× bare",
      value: refusal.medianMs / bare.medianMs,
      shown: `${(refusal.medianMs / bare.medianMs).toFixed(2)}×`,
      met: refusal.medianMs / bare.medianMs <= 1.3,
      limit: `runs: refusal ${spread(refusal.runsMs)}, bare ${spread(bare.runsMs)}; what it loads: settings, configuration (yaml, zod) and the handler, no client`,
    },
    ...Object.entries(cold.ingress).map(([name, s]) => ({
      target: `${name} cold start ≤ 2× bare`,
      value: s.medianMs / bare.medianMs,
      shown: `${(s.medianMs / bare.medianMs).toFixed(2)}×`,
      met: s.medianMs / bare.medianMs <= 2,
      limit: `the I/O floor alone takes ${fmtMs(ioFloor.medianMs)} (${(ioFloor.medianMs / bare.medianMs).toFixed(2)}× bare); ${name} is ${(s.medianMs / ioFloor.medianMs).toFixed(2)}× the floor`,
    })),
    ...Object.entries(steps).map(([name, s]) => {
      const ratio = (naive[name]?.medianMs ?? 0) / s.medianMs;
      return {
        target: `${name} ≥ 3× faster than naive`,
        value: ratio,
        shown: `${ratio.toFixed(2)}×`,
        met: ratio >= 3,
        limit: `runs: ${name} ${spread(s.runsMs)}, naive ${spread(naive[name]?.runsMs ?? [])} (load on this machine moves the medians)`,
      };
    }),
  ];
}

function verificationTargets({ verify }: Figures): Target[] {
  const smallest = goldenSizes[0] ?? 0;
  const largest = goldenSizes[goldenSizes.length - 1] ?? 0;
  const rssGrowth = (() => {
    const a = verify.sizes[smallest]?.peakRssBytes;
    const b = verify.sizes[largest]?.peakRssBytes;
    return a && b ? b / a - 1 : Number.NaN;
  })();
  return [
    ...goldenSizes.map((size) => {
      const raw = (verify.rawBySize[size] ?? verify.raw).perSecond;
      const ratio = (verify.sizes[size]?.perSecond ?? 0) / raw;
      return {
        target: `verification ${size.toLocaleString("en-US")} rows ≥ 80% of raw Predict`,
        value: ratio,
        shown: `${(ratio * 100).toFixed(0)}%`,
        met: ratio >= 0.8,
        limit: `at the raw rate the rows take ${fmtMs((size / raw) * 1000)} of the verification's ${fmtMs(verify.sizes[size]?.ms ?? 0)}; the rest is scoring and its fixed work (manifest, stream open, report, publish)`,
      };
    }),
    {
      target: `verification peak RSS growth ${shortCount(smallest)} → ${shortCount(largest)} < 20%`,
      value: rssGrowth,
      shown: `${(rssGrowth * 100).toFixed(1)}%`,
      met: rssGrowth < 0.2,
    },
  ];
}

function otherTargets({ drift, webhook, vertexInIngress }: Figures): Target[] {
  const ratio = webhook.webhook.requestsPerSecond / webhook.bare.requestsPerSecond;
  return [
    {
      target: `drift over ${shortCount(drift.scores)} scores < 100 ms`,
      value: drift.medianMs,
      shown: fmtMs(drift.medianMs),
      met: drift.medianMs < 100,
    },
    {
      target: "githubWebhook throughput ≥ 50% of bare",
      value: ratio,
      shown: `${(ratio * 100).toFixed(0)}%`,
      met: ratio >= 0.5,
      limit: `the I/O floor alone does ${fmtRate(webhook.ioFloor.requestsPerSecond)} (${((webhook.ioFloor.requestsPerSecond / webhook.bare.requestsPerSecond) * 100).toFixed(0)}% of bare); githubWebhook is ${((webhook.webhook.requestsPerSecond / webhook.ioFloor.requestsPerSecond) * 100).toFixed(0)}% of the floor`,
    },
    {
      target: "ingress bundles without @google-cloud/aiplatform",
      value: vertexInIngress.length,
      shown: vertexInIngress.length === 0 ? "none" : vertexInIngress.join(", "),
      met: vertexInIngress.length === 0,
    },
  ];
}
