import { escapeHtml } from "./escape-html.js";

/** Baseline and observed counts over the same bins (numeric, with edges) or categories. */
export type DistributionPair =
  | { kind: "numeric"; binEdges: readonly number[]; baseline: readonly number[]; observed: readonly number[] }
  | {
      kind: "categorical";
      baseline: Readonly<Record<string, number>>;
      observed: Readonly<Record<string, number>>;
    };

const width = 720;
const height = 320;
const margin = { top: 36, right: 16, bottom: 64, left: 64 };
const colors = { baseline: "#4a78b5", observed: "#e08a2c" } as const;
/** More categories than this would be unreadable; the most frequent are drawn and the caption says so. */
const maxCategories = 40;

/**
 * An inline SVG bar chart of the baseline's and the observed share per bin (or category), with axes, axis
 * labels and a legend; self-contained (no fonts, scripts or links), every text escaped.
 */
export function distributionSvg(pair: DistributionPair, options: { xLabel: string; title: string }): string {
  const { labels, baseline, observed, note } = normalise(pair);
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const top = niceMax(Math.max(0, ...baseline, ...observed));
  const slot = plotWidth / Math.max(1, labels.length);
  const bar = Math.max(1, slot * 0.4);
  const y = (share: number) => margin.top + plotHeight - (share / top) * plotHeight;
  const parts: string[] = [];

  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeHtml(options.title)}</title>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${escapeHtml(options.title)}</text>`,
  );
  // Y axis: gridlines and ticks at quarters of the top.
  for (let i = 0; i <= 4; i++) {
    const share = (top * i) / 4;
    const at = fmt(y(share));
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${at}" y2="${at}" stroke="#ddd"/>`,
      `<text x="${margin.left - 6}" y="${at}" text-anchor="end" dominant-baseline="middle">${formatPercentTick(share * 100)}%</text>`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const x = margin.left + i * slot + (slot - 2 * bar) / 2;
    const b = baseline[i] as number;
    const o = observed[i] as number;
    parts.push(
      `<rect class="baseline" x="${fmt(x)}" y="${fmt(y(b))}" width="${fmt(bar)}" height="${fmt(margin.top + plotHeight - y(b))}" fill="${colors.baseline}"><title>${escapeHtml(`${labels[i]}: baseline ${(b * 100).toFixed(2)}%`)}</title></rect>`,
      `<rect class="observed" x="${fmt(x + bar)}" y="${fmt(y(o))}" width="${fmt(bar)}" height="${fmt(margin.top + plotHeight - y(o))}" fill="${colors.observed}"><title>${escapeHtml(`${labels[i]}: observed ${(o * 100).toFixed(2)}%`)}</title></rect>`,
    );
  }
  parts.push(...xTicks(pair, labels, slot, margin.top + plotHeight));
  parts.push(
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight}" stroke="#333"/>`,
    `<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#333"/>`,
    `<text class="x-label" x="${margin.left + plotWidth / 2}" y="${height - 12}" text-anchor="middle">${escapeHtml(note ? `${options.xLabel} (${note})` : options.xLabel)}</text>`,
    `<text class="y-label" transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">share of predictions</text>`,
    `<rect x="${width - margin.right - 200}" y="26" width="10" height="10" fill="${colors.baseline}"/>`,
    `<text x="${width - margin.right - 185}" y="35">training baseline</text>`,
    `<rect x="${width - margin.right - 80}" y="26" width="10" height="10" fill="${colors.observed}"/>`,
    `<text x="${width - margin.right - 65}" y="35">observed</text>`,
    "</svg>",
  );
  return parts.join("\n");
}

function normalise(pair: DistributionPair): {
  labels: string[];
  baseline: number[];
  observed: number[];
  note?: string;
} {
  if (pair.kind === "numeric") {
    const labels = pair.baseline.map((_, i) => `[${pair.binEdges[i]}, ${pair.binEdges[i + 1]})`);
    return { labels, baseline: shares(pair.baseline), observed: shares(pair.observed) };
  }
  const baselineTotal = sum(Object.values(pair.baseline));
  const observedTotal = sum(Object.values(pair.observed));
  const all = [...new Set([...Object.keys(pair.baseline), ...Object.keys(pair.observed)])];
  const weight = (k: string) =>
    (pair.baseline[k] ?? 0) / (baselineTotal || 1) + (pair.observed[k] ?? 0) / (observedTotal || 1);
  all.sort((a, b) => weight(b) - weight(a) || (a < b ? -1 : 1));
  const labels = all.slice(0, maxCategories);
  return {
    labels,
    baseline: labels.map((k) => (pair.baseline[k] ?? 0) / (baselineTotal || 1)),
    observed: labels.map((k) => (pair.observed[k] ?? 0) / (observedTotal || 1)),
    ...(all.length > maxCategories ? { note: `the ${maxCategories} most frequent of ${all.length}` } : {}),
  };
}

function xTicks(pair: DistributionPair, labels: string[], slot: number, axisY: number): string[] {
  const ticks: string[] = [];
  if (pair.kind === "numeric") {
    // Bin edges, thinned so the labels do not overlap.
    const edges = pair.binEdges;
    const every = Math.max(1, Math.ceil(edges.length / 12));
    for (let i = 0; i < edges.length; i += every) {
      const x = fmt(margin.left + i * slot);
      ticks.push(
        `<line x1="${x}" x2="${x}" y1="${axisY}" y2="${axisY + 4}" stroke="#333"/>`,
        `<text x="${x}" y="${axisY + 16}" text-anchor="middle">${escapeHtml(String(round(edges[i] as number)))}</text>`,
      );
    }
    return ticks;
  }
  for (let i = 0; i < labels.length; i++) {
    const x = fmt(margin.left + (i + 0.5) * slot);
    const text = (labels[i] as string).length > 14 ? `${(labels[i] as string).slice(0, 13)}…` : labels[i];
    ticks.push(
      `<text x="${x}" y="${axisY + 12}" text-anchor="end" transform="rotate(-35 ${x} ${axisY + 12})">${escapeHtml(text as string)}</text>`,
    );
  }
  return ticks;
}

function shares(counts: readonly number[]): number[] {
  const total = sum(counts) || 1;
  return counts.map((c) => c / total);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** A round upper bound for the y axis, so the tick labels are short. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  for (const step of [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1]) if (value <= step) return step;
  return 1;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** A tick label: whole percents as they are, others with one decimal (12.5 %, not a rounded 13 %). */
function formatPercentTick(percent: number): string {
  return Number.isInteger(Math.round(percent * 10) / 10) ? percent.toFixed(0) : percent.toFixed(1);
}
