/**
 * `modelgate doctor`'s verdicts and their rendering: per identity, the permissions the permission table grants that
 * the deployment lacks (missing) and the ones the deployment grants beyond the table (excess).
 */
import {
  type Entitlement,
  type Grant,
  type Identity,
  identityNames,
  permissionTable,
  scopeKey,
} from "../shared/permissions.js";

/** One permission on one resource that differs from the table. */
export interface PermissionGap {
  permission: string;
  /** `scopeKey` form: `project`, `bucket-prefix:models/`, `topic:artifact-ready`, or a doctor-specific place. */
  scope: string;
  /** The table's reason, for a missing permission. */
  why?: string;
}

export interface IdentityReport {
  identity: Identity;
  /** The service account id from the table. */
  account: string;
  missing: PermissionGap[];
  excess: PermissionGap[];
  /** The identity could not be checked (or only partly): each entry says why. */
  errors: string[];
  /** How many permission × resource pairs were compared. */
  checked: number;
}

export interface DoctorReport {
  /** What was checked: "local stack at …" or "Google Cloud project …". */
  target: string;
  identities: IdentityReport[];
  /** What the check could not see (printed, not a failure). */
  notes: string[];
  /** Problems not tied to one identity (a stack that enforces nothing). */
  errors: string[];
}

export function emptyReport(identity: Identity): IdentityReport {
  return {
    identity,
    account: permissionTable[identity].accountId,
    missing: [],
    excess: [],
    errors: [],
    checked: 0,
  };
}

/** The table's reason for a grant of `permission` on `scope`. */
export function whyOf(identity: Identity, permission: string, scope: string): string | undefined {
  const grants = permissionTable[identity].grants as readonly Grant[];
  return grants.find((g) => scopeKey(g.scope) === scope && g.permissions.includes(permission))?.why;
}

const entitlementKey = (e: Entitlement) => `${e.identity}\u0000${e.permission}\u0000${scopeKey(e.scope)}`;

/**
 * Compares two flat grant lists exactly (identity, permission, scope): what `expected` holds and `actual` lacks is
 * missing, the reverse excess. Used against the local stack, whose servers say exactly what they enforce.
 */
export function diffEntitlements(
  expected: readonly Entitlement[],
  actual: readonly Entitlement[],
  identities: readonly Identity[] = identityNames,
): IdentityReport[] {
  const actualKeys = new Set(actual.map(entitlementKey));
  const expectedKeys = new Set(expected.map(entitlementKey));
  return identities.map((identity) => {
    const report = emptyReport(identity);
    const mine = (e: Entitlement) => e.identity === identity;
    const seen = new Set<string>();
    for (const e of [...expected.filter(mine), ...actual.filter(mine)]) {
      const key = entitlementKey(e);
      if (seen.has(key)) continue;
      seen.add(key);
      report.checked += 1;
      const scope = scopeKey(e.scope);
      if (!actualKeys.has(key)) {
        const why = whyOf(identity, e.permission, scope);
        report.missing.push({ permission: e.permission, scope, ...(why ? { why } : {}) });
      } else if (!expectedKeys.has(key)) {
        report.excess.push({ permission: e.permission, scope });
      }
    }
    return report;
  });
}

export function hasProblems(report: DoctorReport): boolean {
  return (
    report.errors.length > 0 ||
    report.identities.some((i) => i.missing.length > 0 || i.excess.length > 0 || i.errors.length > 0)
  );
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}

/** The summary table, then every problem on its own line (identity, kind, permission, where, why). */
export function renderReport(report: DoctorReport): string {
  const lines = [`modelgate doctor: ${report.target}`, ""];
  const rows = [["identity", "account", "checked", "missing", "excess", "status"]];
  for (const i of report.identities) {
    const ok = i.missing.length === 0 && i.excess.length === 0 && i.errors.length === 0;
    rows.push([
      i.identity,
      i.account,
      String(i.checked),
      String(i.missing.length),
      String(i.excess.length),
      ok ? "ok" : i.errors.length > 0 ? "ERROR" : "PROBLEM",
    ]);
  }
  lines.push(...table(rows).map((l) => `  ${l}`));
  const problems: string[][] = [];
  for (const i of report.identities) {
    for (const gap of i.missing) problems.push(gapRow(i, "missing", gap, gap.why ? `(${gap.why})` : ""));
    for (const gap of i.excess) problems.push(gapRow(i, "excess", gap, "(not in the permission table)"));
    for (const error of i.errors) problems.push([i.identity, "error", error]);
  }
  for (const error of report.errors) problems.push(["-", "error", error]);
  if (problems.length > 0) {
    lines.push("", "problems:");
    // Gaps line up as a table; free-text errors follow on their own lines.
    const gaps = problems.filter((p) => p[1] !== "error");
    if (gaps.length > 0) lines.push(...table(gaps).map((l) => `  ${l}`));
    for (const p of problems.filter((q) => q[1] === "error")) lines.push(`  ${p.join("  ")}`);
  }
  if (report.notes.length > 0) {
    lines.push("", "notes:");
    for (const note of report.notes) lines.push(`  - ${note}`);
  }
  const count = report.identities.reduce(
    (n, i) => n + i.missing.length + i.excess.length + i.errors.length,
    report.errors.length,
  );
  lines.push(
    "",
    count === 0
      ? `every identity holds exactly the permission table's grants (${report.identities.length} identities)`
      : `${count} problem(s): the deployment does not match the permission table (shared/permissions.ts)`,
  );
  return `${lines.join("\n")}\n`;
}

/** One line of the problems table: who, which kind of gap, the permission, where, and why. */
function gapRow(i: IdentityReport, kind: string, gap: PermissionGap, why: string): string[] {
  return [i.identity, kind, gap.permission, `on ${gap.scope}`, why];
}
