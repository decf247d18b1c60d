// Prints the identity matrix (docs/identity-matrix.md) generated from the permission table:
// `npx tsx scripts/identity-matrix.ts > docs/identity-matrix.md`. A test asserts the committed file is current.
import { fileURLToPath } from "node:url";
import { adapters, type Grant, identityNames, permissionTable, type Scope } from "../shared/permissions.js";

const code = (text: string) => `\`${text}\``;

function scopeText(scope: Scope): string {
  switch (scope.kind) {
    case "project":
      return "project";
    case "bucket-prefix":
      return `bucket ${code(scope.value)}`;
    case "topic":
      return `topic ${code(scope.value)}`;
    case "endpoint":
      return `endpoint ${code(scope.value)}`;
    case "service-account":
      return `account ${code(permissionTable[scope.value].accountId)}`;
    case "secret":
      return `secret ${code(scope.value)}`;
    case "queue":
      return `queue ${code(scope.value)}`;
  }
}

/** A markdown table with padded columns, as the formatter (Biome) writes it. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** The whole docs/identity-matrix.md text. */
export function identityMatrix(): string {
  const grants = identityNames.flatMap((identity) => {
    const spec = permissionTable[identity];
    return (spec.grants as readonly Grant[]).map((grant) => [
      identity,
      code(spec.accountId),
      scopeText(grant.scope),
      [...grant.permissions].sort().map(code).join("<br>"),
      grant.why,
    ]);
  });
  const calls = Object.entries(adapters).flatMap(([module, spec]) =>
    Object.entries(spec.calls as Record<string, readonly string[]>).map(([method, permissions]) => [
      code(module),
      code(method),
      permissions.length === 0 ? "none (no API request)" : permissions.map(code).join("<br>"),
    ]),
  );
  const lines = [
    "# Identity matrix",
    "",
    "Generated from `shared/permissions.ts` by `npx tsx scripts/identity-matrix.ts`; do not edit by hand (a test",
    "compares this file with the generator's output). Terraform grants exactly these permissions, through custom",
    "roles where a predefined role would grant more, and bucket grants are limited to their prefix by IAM conditions.",
    "",
    "## Who may do what, where",
    "",
    ...table(["Identity", "Service account", "On", "Permissions", "Why"], grants),
    "",
    "## Which client call needs which permission",
    "",
    ...table(["Adapter", "Client method", "Permissions"], calls),
  ];
  return `${lines.join("\n")}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(identityMatrix());
}
