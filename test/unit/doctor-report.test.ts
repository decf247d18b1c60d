import { describe, expect, it } from "vitest";
import { localDoctor } from "../../cli/doctor-local.js";
import { diffEntitlements, hasProblems, renderReport } from "../../cli/doctor-report.js";
import { runCli } from "../../cli/main.js";
import { type Entitlement, entitlements, Identity, identityNames } from "../../shared/permissions.js";

const table = entitlements();
const ports = Object.fromEntries(
  identityNames.map((i) => [i, { storage: "http://x", pubsub: "x:1", vertex: "x:2" }]),
);
const answering =
  (body: unknown, status = 200): typeof fetch =>
  async () =>
    new Response(JSON.stringify(body), { status });

describe("doctor's comparison", () => {
  it("finds no gap between the table and itself", () => {
    const reports = diffEntitlements(table, table);
    expect(reports.every((r) => r.missing.length === 0 && r.excess.length === 0)).toBe(true);
    expect(reports.reduce((n, r) => n + r.checked, 0)).toBe(
      new Set(table.map((e) => JSON.stringify(e))).size,
    );
  });

  it("names a missing grant with its reason and an excess one, per identity and scope", () => {
    const actual: Entitlement[] = [
      ...table.filter((e) => !(e.identity === Identity.trainer && e.permission === "storage.objects.create")),
      {
        identity: Identity.githubActions,
        permission: "storage.objects.delete",
        scope: { kind: "bucket-prefix", value: "ledger/" },
      },
    ];
    const reports = diffEntitlements(table, actual);
    const trainer = reports.find((r) => r.identity === Identity.trainer);
    expect(trainer?.missing).toEqual([
      {
        permission: "storage.objects.create",
        scope: "bucket-prefix:models/",
        why: "write model files, then modelgate.json last",
      },
    ]);
    const ci = reports.find((r) => r.identity === Identity.githubActions);
    expect(ci?.excess).toEqual([{ permission: "storage.objects.delete", scope: "bucket-prefix:ledger/" }]);
    const text = renderReport({ target: "test", identities: reports, notes: [], errors: [] });
    expect(text).toMatch(/trainer\s+missing\s+storage\.objects\.create\s+on bucket-prefix:models\//);
    expect(text).toMatch(/githubActions\s+excess\s+storage\.objects\.delete\s+on bucket-prefix:ledger\//);
    expect(text).toContain("2 problem(s)");
  });

  it("treats the same permission on another scope as both missing and excess", () => {
    const moved = table.map((e) =>
      e.identity === Identity.deployModel && e.scope.kind === "topic" && e.scope.value === "deployment-ready"
        ? { ...e, scope: { kind: "topic" as const, value: "artifact-ready" as const } }
        : e,
    );
    const deploy = diffEntitlements(table, moved).find((r) => r.identity === Identity.deployModel);
    expect(deploy?.missing.map((g) => g.scope)).toEqual(["topic:deployment-ready"]);
    expect(deploy?.excess.map((g) => g.scope)).toEqual(["topic:artifact-ready"]);
  });
});

describe("doctor against the local stack's grants document (fake server)", () => {
  it("passes when the servers enforce the table", async () => {
    const report = await localDoctor(
      "http://stack",
      answering({ enforced: true, identities: ports, grants: table }),
    );
    expect(hasProblems(report)).toBe(false);
  });

  it("fails when the stack enforces nothing, or an identity has no ports", async () => {
    const off = await localDoctor(
      "http://stack",
      answering({ enforced: false, identities: {}, grants: table }),
    );
    expect(off.errors.join()).toContain("does not enforce identities");
    expect(hasProblems(off)).toBe(true);
    const { trainer: _, ...partial } = ports;
    const gap = await localDoctor(
      "http://stack",
      answering({ enforced: true, identities: partial, grants: table }),
    );
    expect(gap.identities.find((i) => i.identity === Identity.trainer)?.errors).toHaveLength(1);
  });

  it("fails on grants for an identity the table does not know, and on an unreachable server", async () => {
    const stranger = { identity: "intruder", permission: "storage.objects.get", scope: { kind: "project" } };
    const report = await localDoctor(
      "http://stack",
      answering({ enforced: true, identities: ports, grants: [...table, stranger] }),
    );
    expect(report.errors.join()).toContain("intruder");
    const down = await localDoctor("http://stack", async () => {
      throw new Error("connect ECONNREFUSED");
    });
    expect(down.errors.join()).toContain("ECONNREFUSED");
    expect(renderReport(down)).toContain("1 problem(s)");
  });
});

describe("modelgate doctor (command)", () => {
  it("refuses an unknown identity as a usage error", async () => {
    const err: string[] = [];
    const code = await runCli(["doctor", "--identity", "nobody"], {
      out: () => {},
      err: (t) => err.push(t),
      env: { MODELGATE_STATE_DIR: "/nonexistent" },
    });
    expect(code).toBe(2);
    expect(err.join("")).toContain('unknown identity "nobody"');
  });
});
