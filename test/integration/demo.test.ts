import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { type LocalStack, startStack } from "../../local/stack.js";
import { endpointName, loadConfig } from "../../shared/config.js";
import { type FunctionName, functionFolder } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { stackVertexLocation } from "../support/stack-vertex.js";

// `npx modelgate demo` as a new user runs it: against the stack `npm start` starts, each function served from its
// own bundle (dist/local/functions/, built as `npm start` builds them) with the repository's modelgate.config.yaml.
// Three pushes: a first deployment, a retrain rolled out through every step, and a worse retrain that pauses
// inconclusive at the first step, is promoted, and is rolled back at the second — with what GitHub shows.
const model = "fraud-detector";
const stateDir = mkdtempSync(join(tmpdir(), "modelgate-demo-"));
const configPath = resolve("modelgate.config.yaml");
const config = loadConfig({ MODELGATE_CONFIG: configPath });

describe("modelgate demo", () => {
  let stack: LocalStack;

  beforeAll(async () => {
    execFileSync(process.execPath, ["scripts/build-main.mjs", "--local", "--if-stale"]);
    stack = await startStack({
      config,
      configPath,
      stackFile: join(stateDir, "stack.json"),
      sourceOf: (name: FunctionName) => resolve("dist", "local", "functions", functionFolder(name)),
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("rolls a retrain out in steps and a worse one back at a later step, and prints what GitHub shows", {
    timeout: 400_000,
  }, async () => {
    const out: string[] = [];
    const env = { MODELGATE_STATE_DIR: stateDir, MODELGATE_CONFIG: configPath };
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env };
    const code = await runCli(["demo"], io);
    const text = out.join("");
    expect(code, text).toBe(0);

    const commits = [...text.matchAll(/"commit":"([0-9a-f]{40})"/g)].map((m) => m[1] as string);
    expect(commits).toHaveLength(3);
    const [first, retrain, worse] = commits.map((c) => c.slice(0, 12));
    const summary = text.slice(text.indexOf("\nSummary\n"));
    expect(summary).toContain(`${first}  ROLLED OUT at 100 % at once (a first deployment`);
    expect(summary).toContain(
      `${retrain}  ROLLED OUT through every step (10 % pass → 50 % pass → 100 % pass), alias production`,
    );
    expect(summary).toContain(
      `${worse}  ROLLED BACK at step 2 of 3 (10 % inconclusive → 50 % fail, promoted by modelgate-demo): the split from before the rollout restored`,
    );
    expect(text).toMatch(/⏸ paused at step 1 of 3: step 1 is inconclusive: accuracy drop .* straddles/);
    // What GitHub shows of the worse retrain: each step, the pause, the failure at the second step.
    expect(summary).toMatch(
      /in_progress step 1 of 3: 10 % of the traffic, paused, inconclusive[^\n]*\n\s+in_progress step 2 of 3: 50 % of the traffic, baking 5s\n\s+failure {5}failed at step 2 of 3, split restored: accuracy drop/,
    );
    expect(summary).toContain("success     version 2 serves all the traffic: after 3 steps");

    // The split from before the worse retrain's rollout, exactly: the retrain serves everything.
    const endpoints = new VertexEndpointDeployer(stackVertexLocation(stack, config));
    try {
      const state = await endpoints.getEndpoint(endpointName(config, model));
      expect(state.trafficSplit).toEqual({ [deployedModelId(model, commits[1] as string)]: 100 });
    } finally {
      await endpoints.close();
    }
  });
});
