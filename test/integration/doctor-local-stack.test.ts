import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { type LocalStack, startStack } from "../../local/stack.js";
import { loadConfig } from "../../shared/config.js";
import { type Entitlement, entitlements, Identity } from "../../shared/permissions.js";
import { Topic } from "../../shared/topology.js";

function capture(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env }, out, err };
}

// A started stack whose servers enforce a deliberately altered grant list: deployModel lost its publish on
// deployment-ready, githubWebhook gained CreateCustomJob. `modelgate doctor` must name both and exit 1.
const table = entitlements();
const missing = (e: Entitlement) =>
  e.identity === Identity.deployModel &&
  e.permission === "pubsub.topics.publish" &&
  e.scope.kind === "topic" &&
  e.scope.value === Topic.deploymentReady;
const altered: Entitlement[] = [
  ...table.filter((e) => !missing(e)),
  {
    identity: Identity.githubWebhook,
    permission: "aiplatform.customJobs.create",
    scope: { kind: "project" },
  },
];

describe("modelgate doctor against the local stack", () => {
  let stack: LocalStack;
  let stateDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    execFileSync(process.execPath, ["scripts/build-main.mjs"]);
    stateDir = mkdtempSync(join(tmpdir(), "modelgate-doctor-"));
    env = { MODELGATE_STATE_DIR: stateDir };
    stack = await startStack({
      config: loadConfig({}),
      configPath: resolve("modelgate.config.yaml"),
      stackFile: join(stateDir, "stack.json"),
      identity: { grants: altered },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("names each identity and permission that differs from the table, and exits 1", async () => {
    const run = capture(env);
    expect(await runCli(["doctor"], run.io)).toBe(1);
    const text = run.out.join("");
    expect(text).toContain("local stack");
    expect(text).toMatch(
      /deployModel\s+missing\s+pubsub\.topics\.publish\s+on topic:deployment-ready\s+\(hand the canary to verification\)/,
    );
    expect(text).toMatch(/githubWebhook\s+excess\s+aiplatform\.customJobs\.create\s+on project/);
    expect(text).toMatch(/^\s+launchTraining\s+mg-launch-training\s+\d+\s+0\s+0\s+ok$/m);
    expect(text).toContain("2 problem(s)");
  });

  it("reports one identity as JSON when asked", async () => {
    const run = capture(env);
    expect(await runCli(["doctor", "--identity", "deployModel", "--json"], run.io)).toBe(1);
    const report = JSON.parse(run.out.join(""));
    expect(report.identities).toHaveLength(1);
    expect(report.identities[0]).toMatchObject({
      identity: "deployModel",
      missing: [{ permission: "pubsub.topics.publish", scope: "topic:deployment-ready" }],
      excess: [],
    });
  });

  it("exits 0 once the servers enforce exactly the table", async () => {
    stack.servers.identity.grants.replace(table);
    try {
      const run = capture(env);
      expect(await runCli(["doctor"], run.io)).toBe(0);
      expect(run.out.join("")).toContain("every identity holds exactly the permission table's grants");
    } finally {
      stack.servers.identity.grants.replace(altered);
    }
  });
});
