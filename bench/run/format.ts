import { mib } from "./context.js";

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export const fmtMs = (ms: number) => `${Math.round(ms)} ms`;
export const fmtMib = (bytes: number) => `${mib(bytes).toFixed(0)} MiB`;
export const fmtKib = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${mib(bytes).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
export const fmtRate = (n: number) => `${Math.round(n).toLocaleString("en-US")}/s`;
