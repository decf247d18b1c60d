/** Turns a function's Cloud Logging JSON line into one short console line; non-JSON lines pass through. */
export function formatFunctionLine(target: string, line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    // The Functions Framework's start-up banner; the stack prints its own summary.
    if (/^(Serving function\.\.\.|Function: |Signature type: |URL: )/.test(line)) return "";
    return `${target.padEnd(17)} ${line}`;
  }
  if (entry.severity === "DEBUG") return "";
  const time = typeof entry.time === "string" ? entry.time.slice(11, 23) : "";
  const severity = String(entry.severity ?? "INFO").padEnd(7);
  const model = entry.model
    ? ` [${entry.model}${entry.commit ? `@${String(entry.commit).slice(0, 7)}` : ""}]`
    : "";
  return `${time} ${target.padEnd(17)} ${severity} ${String(entry.message ?? "")}${model}`;
}
