import { cpus, loadavg } from "node:os";

/** The 1-minute load average now, printed beside each figure: this machine is shared, figures move with it. */
export function load1(): string {
  return (loadavg()[0] ?? 0).toFixed(2);
}

/** One line naming the machine, the Node version and the load, for the top of the output. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `Node ${process.version}, ${cpus().length} CPUs (${cpu}), load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")}`;
}

/** A table with aligned columns: first column left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

export const ms = (value: number): string => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

/** Positive whole numbers from an env variable (comma-separated), else the defaults; a bad value names the variable. */
export function sizesFrom(env: NodeJS.ProcessEnv, name: string, defaults: number[]): number[] {
  const raw = env[name];
  if (raw === undefined || raw === "") return defaults;
  const sizes = raw.split(",").map((s) => s.trim());
  if (sizes.some((s) => !/^[1-9]\d*$/.test(s))) {
    throw new Error(`${name} must be comma-separated positive whole numbers, got "${raw}"`);
  }
  return sizes.map(Number);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
