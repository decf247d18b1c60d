import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { groupByCommit, isReadOnly, renderLineage } from "../../cli/lineage-view.js";
import { runCli } from "../../cli/main.js";
import type { LedgerEntry } from "../../shared/ledger.js";

function capture(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env }, out, err };
}

describe("modelgate CLI", () => {
  it("lists its commands and exits 2 without one", async () => {
    const { io, out } = capture();
    expect(await runCli([], io)).toBe(2);
    expect(out.join("")).toContain("config check");
  });

  it("names an unknown command and an unknown flag", async () => {
    const a = capture();
    expect(await runCli(["deploy-everything"], a.io)).toBe(2);
    expect(a.err.join("")).toContain('unknown command "deploy-everything"');
    const b = capture();
    expect(await runCli(["lineage", "fraud-detector", "--commmit", "abc"], b.io)).toBe(2);
    expect(b.err.join("")).toContain("--commmit");
  });

  it.each([
    [["lineage", "fraud-detector", "--limit", "0"], "--limit must be a whole number from 1 to 1000"],
    [
      ["lineage", "fraud-detector", "--limit", "ten"],
      '--limit must be a whole number from 1 to 1000, got "ten"',
    ],
    [["lineage", "fraud-detector", "--commit", "abc1234", "--limit", "5"], "--commit shows one commit"],
  ])("refuses lineage %j", async (args, message) => {
    const c = capture();
    expect(await runCli(args, c.io)).toBe(2);
    expect(c.err.join("")).toContain(message);
  });

  it.each([
    [["retrain", "--commit", "a".repeat(40)], "name one model"],
    [
      ["retrain", "fraud-detector", "--commit", "3f2c1a9"],
      "--commit must be the full 40-digit lowercase SHA",
    ],
    [["retrain", "fraud-detector"], "--commit must be the full 40-digit lowercase SHA"],
    [["retrain", "fraud-detector", "--commit", "a".repeat(40), "--as", " "], "say who asks: --as NAME"],
  ])("retrain refuses %j before touching anything", async (argv, message) => {
    const { io, err } = capture({ MODELGATE_STATE_DIR: "/nonexistent" });
    expect(await runCli(argv, io)).toBe(2);
    expect(err.join("")).toContain(message);
  });

  it("retrain names the configured models when given another (constructor included)", async () => {
    const { io, err } = capture({ MODELGATE_STATE_DIR: "/nonexistent" });
    expect(await runCli(["retrain", "constructor", "--commit", "a".repeat(40), "--as", "alice"], io)).toBe(2);
    expect(err.join("")).toContain('model "constructor" is not configured (models: fraud-detector)');
  });

  it("answers --help on a command", async () => {
    const { io, out } = capture();
    expect(await runCli(["lineage", "--help"], io)).toBe(0);
    expect(out.join("")).toContain("usage: modelgate lineage <model>");
  });

  it("config check accepts the example and prints every problem of a bad file with its path", async () => {
    const good = capture();
    expect(await runCli(["config", "check", "modelgate.config.yaml"], good.io)).toBe(0);
    expect(good.out.join("")).toContain("is valid: 1 model(s) (fraud-detector)");

    const file = join(tmpdir(), `modelgate-bad-${process.pid}.yaml`);
    writeFileSync(
      file,
      "project: acme-ml\nregion: us-central1\nbucket: b-ok\nmodels:\n  m:\n    repository: nope\n",
    );
    const bad = capture();
    expect(await runCli(["config", "check", file], bad.io)).toBe(1);
    const text = bad.err.join("");
    expect(text).toContain("models.m.repository:");
    expect(text).toContain("models.m.paths:");
    expect(text).toContain("models.m.verification:");
  });
});

describe("lineage view", () => {
  const entry = (
    commit: string,
    at: string,
    step: string,
    details: Record<string, unknown>,
    outcome = "succeeded",
  ) =>
    ({
      id: `ledger/m/${commit}/${at}`,
      at,
      model: "m",
      commit,
      step,
      action: "x",
      outcome,
      correlationId: `c-${commit}`,
      causedBy: [],
      identity: `${step}@p.iam.gserviceaccount.com`,
      details,
    }) as LedgerEntry;

  it("groups by commit in time order and shows identities and key details", () => {
    const lineages = groupByCommit([
      entry("bbbbbbb", "2026-01-01T00:00:03Z", "rolloutModel", { verdict: "fail" }, "succeeded"),
      entry("aaaaaaa", "2026-01-01T00:00:01Z", "launchTraining", { jobName: "customJobs/1" }),
      entry("bbbbbbb", "2026-01-01T00:00:02Z", "launchTraining", { jobName: "customJobs/2" }),
    ]);
    expect(lineages.map((l) => l.commit)).toEqual(["aaaaaaa", "bbbbbbb"]);
    const text = renderLineage("m", lineages);
    expect(text).toContain("commit aaaaaaa");
    expect(text).toContain("jobName=customJobs/1");
    expect(text).toContain("as rolloutModel@p.iam.gserviceaccount.com");
    expect(text.indexOf("customJobs/2")).toBeLessThan(text.indexOf("verdict=fail"));
  });

  it("shows a rollout's steps and who promoted it when", () => {
    const resume = { action: "promote", by: "alice", at: "2026-01-01T00:10:00.000Z" };
    const text = renderLineage(
      "m",
      groupByCommit([
        entry("ccccccc", "2026-01-01T00:00:01Z", "rolloutModel", {
          step: 1,
          scheduleTime: "2026-01-01T00:30:00Z",
        }),
        entry("ccccccc", "2026-01-01T00:10:01Z", "rolloutModel", { resume, step: 0 }),
      ]),
    );
    expect(text).toContain("step=1  scheduleTime=2026-01-01T00:30:00Z");
    expect(text).toContain(
      'step=0  resume={"action":"promote","by":"alice","at":"2026-01-01T00:10:00.000Z"}',
    );
  });

  it("shows which commit declared a release and what it asked for", () => {
    const declaredBy = "d".repeat(40);
    const text = renderLineage("m", [
      {
        commit: "aaaaaaa",
        entries: [
          entry("aaaaaaa", "2026-01-01T00:00:01Z", "applyReleases", {
            declaredBy,
            release: { commit: "a".repeat(40), canaryPercent: 20 },
          }),
          entry("aaaaaaa", "2026-01-01T00:00:09Z", "rolloutModel", { declaredBy, state: "serving" }),
        ],
      },
    ]);
    expect(text).toContain(`declaredBy=${declaredBy}`);
    expect(text).toContain('"canaryPercent":20');
    expect(text).toContain("state=serving");
  });

  it("says so when there is nothing", () => {
    expect(renderLineage("m", [])).toBe("no ledger records for model m\n");
  });

  it("counts a reconcile that found the endpoint in sync as read-only, hidden unless asked; a drift is shown", () => {
    const inSync = {
      ...entry("aaaaaaa", "2026-01-01T00:00:01Z", "reconcileEndpoints", {}),
      action: "release-in-sync",
    };
    const drift = {
      ...entry("aaaaaaa", "2026-01-01T00:00:02Z", "reconcileEndpoints", {}),
      action: "drift-detected",
    };
    expect([isReadOnly(inSync), isReadOnly(drift)]).toEqual([true, false]);
  });

  it("shows a drift record's differences, who made them and the repair", () => {
    const drift = entry("aaaaaaa", "2026-01-01T00:00:01Z", "reconcileEndpoints", {
      differences: [
        { kind: "not-deployed", summary: "version 3 is not deployed on the endpoint" },
        { kind: "alias", summary: "the production alias is on version 2, not 3" },
      ],
      changedBy: { by: "outside-modelgate", how: "Cloud Audit Logs" },
      repair: "requested",
    });
    const text = renderLineage("m", groupByCommit([drift]));
    expect(text).toContain(
      "drift=version 3 is not deployed on the endpoint; the production alias is on version 2, not 3  changedBy=outside-modelgate  repair=requested",
    );
  });
});

describe("status view", () => {
  it("lists deployed models by traffic with their commit and last verdict", async () => {
    const { servingRows, renderStatus, lastVerdict } = await import("../../cli/status-view.js");
    const rows = servingRows(
      {
        name: "e",
        raw: {},
        deployedModels: [
          { id: "111", modelResource: "m", versionId: "1", displayName: "a" },
          { id: "222", modelResource: "m", versionId: "2", displayName: "b" },
        ],
        trafficSplit: { "111": 90, "222": 10 },
      },
      [
        { commit: "aaaaaaaaaaaa1", versionId: "1", modelResource: "m", registeredAt: "" },
        { commit: "bbbbbbbbbbbb2", versionId: "2", modelResource: "m", registeredAt: "" },
      ],
      (commit) => (commit.startsWith("a") ? "pass" : "-"),
    );
    expect(rows.map((r) => [r.deployedModelId, r.percent, r.commit, r.verdict])).toEqual([
      ["111", 90, "aaaaaaaaaaaa1", "pass"],
      ["222", 10, "bbbbbbbbbbbb2", "-"],
    ]);
    expect(renderStatus("m", "e", rows)).toContain("90%");
    expect(renderStatus("m", "e", [])).toContain("nothing deployed");
    expect(
      lastVerdict([
        { action: "verification-completed", details: { verdict: "pass" } },
        { action: "verification-completed", details: { verdict: "fail" } },
      ] as never),
    ).toBe("fail");
  });
});
