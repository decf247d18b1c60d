// The printed report: cold starts, verification, other measures and targets, under a header naming the machine.
import os from "node:os";
import type { FunctionName } from "../../shared/topology.js";
import type { VertexStep } from "../build.js";
import { runs, shortCount } from "./context.js";
import { pinning } from "./cpu-pinning.js";
import type { Figures, Target } from "./figures.js";
import { fmtKib, fmtMib, fmtMs, fmtRate, table } from "./format.js";

function coldRows({ cold, bundles }: Figures): string[][] {
  const { bare, ioFloor } = cold;
  return [
    [
      "function",
      "cold start",
      "reference",
      "ratio",
      "peak RSS",
      "bundle",
      "at start",
      "first Vertex call / I/O floor",
    ],
    [
      "bare (FF, 200 only)",
      fmtMs(bare.medianMs),
      "",
      "",
      fmtMib(bare.peakRssBytes),
      fmtKib(bundles.bare.bundleBytes),
      fmtKib(bundles.bare.startBytes),
      "",
    ],
    [
      "githubWebhook refusal (unsigned push → 401)",
      fmtMs(cold.refusal.medianMs),
      `bare ${fmtMs(bare.medianMs)}`,
      `${(cold.refusal.medianMs / bare.medianMs).toFixed(2)}×`,
      fmtMib(cold.refusal.peakRssBytes),
      fmtKib(bundles.functions.githubWebhook.bundleBytes),
      fmtKib(bundles.functions.githubWebhook.startBytes),
      "",
    ],
    [
      "I/O floor (githubWebhook's storage + Pub/Sub calls only)",
      fmtMs(ioFloor.medianMs),
      `bare ${fmtMs(bare.medianMs)}`,
      `${(ioFloor.medianMs / bare.medianMs).toFixed(2)}×`,
      fmtMib(ioFloor.peakRssBytes),
      fmtKib(bundles.ioFloor.bundleBytes),
      fmtKib(bundles.ioFloor.startBytes),
      "",
    ],
    ...Object.entries(cold.ingress).map(([name, s]) => [
      name,
      fmtMs(s.medianMs),
      `bare ${fmtMs(bare.medianMs)}`,
      `${(s.medianMs / bare.medianMs).toFixed(2)}×`,
      fmtMib(s.peakRssBytes),
      fmtKib(bundles.functions[name as FunctionName].bundleBytes),
      fmtKib(bundles.functions[name as FunctionName].startBytes),
      `${(s.medianMs / ioFloor.medianMs).toFixed(2)}× the I/O floor`,
    ]),
    ...Object.entries(cold.steps).flatMap(([name, s]) => {
      const n = cold.naive[name];
      const step = name as VertexStep;
      return [
        [
          name,
          fmtMs(s.medianMs),
          `naive ${fmtMs(n?.medianMs ?? 0)}`,
          `${((n?.medianMs ?? 0) / s.medianMs).toFixed(2)}× faster`,
          fmtMib(s.peakRssBytes),
          fmtKib(bundles.functions[step].bundleBytes),
          fmtKib(bundles.functions[step].startBytes),
          s.firstCall ?? "",
        ],
        [
          `  naive ${name}`,
          fmtMs(n?.medianMs ?? 0),
          "",
          "",
          fmtMib(n?.peakRssBytes ?? 0),
          fmtKib(bundles.naive[step].bundleBytes),
          fmtKib(bundles.naive[step].startBytes),
          n?.firstCall ?? "",
        ],
      ];
    }),
  ];
}

function verifyRows({ verify }: Figures): string[][] {
  return [
    ["verification", "rows", "instances/s", "vs raw Predict", "peak RSS", "time"],
    ...Object.values(verify.rawBySize).map((raw) => [
      "raw Predict before + after (gRPC)",
      raw.instances.toLocaleString("en-US"),
      fmtRate(raw.perSecond),
      "100%",
      fmtMib(raw.peakRssBytes),
      fmtMs(raw.ms),
    ]),
    ...Object.entries(verify.sizes).map(([size, r]) => [
      "verifyDeployment (gRPC)",
      Number(size).toLocaleString("en-US"),
      fmtRate(r.perSecond),
      `${((r.perSecond / (verify.rawBySize[Number(size)] ?? verify.raw).perSecond) * 100).toFixed(0)}%`,
      fmtMib(r.peakRssBytes),
      fmtMs(r.ms),
    ]),
  ];
}

function otherRows({ drift, webhook }: Figures): string[][] {
  return [
    ["measure", "value", "reference"],
    [`drift, ${shortCount(drift.scores)} scores (jensen-shannon)`, fmtMs(drift.medianMs), "target < 100 ms"],
    [
      "githubWebhook throughput",
      fmtRate(webhook.webhook.requestsPerSecond),
      `bare ${fmtRate(webhook.bare.requestsPerSecond)}`,
    ],
    ["githubWebhook p99 latency", fmtMs(webhook.webhook.p99Ms), `bare ${fmtMs(webhook.bare.p99Ms)}`],
    [
      "I/O floor throughput (same storage + Pub/Sub calls)",
      fmtRate(webhook.ioFloor.requestsPerSecond),
      `githubWebhook at ${((webhook.webhook.requestsPerSecond / webhook.ioFloor.requestsPerSecond) * 100).toFixed(0)}% of it`,
    ],
    ["I/O floor p99 latency", fmtMs(webhook.ioFloor.p99Ms), ""],
  ];
}

function targetRows(targets: Target[]): string[][] {
  return [
    ["target", "measured", "met", "what bounds it (targets not met)"],
    ...targets.map((t) => [t.target, t.shown, t.met ? "yes" : "NO", t.met ? "" : (t.limit ?? "")]),
  ];
}

/** The whole printed report. */
export function renderReport(figures: Figures, targets: Target[], began: number): string {
  return [
    `modelgate benchmark — ${new Date().toISOString()} — Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
    `cold start: median of ${runs} runs, process start → first 2xx response (HTTP functions; the refusal: its 401) or → the step's first Vertex AI call answered by the local server (Vertex steps); load average at each round ${figures.cold.loads.map((n) => n.toFixed(2)).join(", ")}`,
    `verification: ${pinning?.describe ?? "local servers and the worker share the cores (no taskset)"}`,
    "",
    table(coldRows(figures)),
    "",
    table(verifyRows(figures)),
    "",
    table(otherRows(figures)),
    "",
    table(targetRows(targets)),
    "",
    `total ${((Date.now() - began) / 1000).toFixed(0)} s`,
  ].join("\n");
}
