import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { type LocalStack, startStack } from "../../local/stack.js";
import { endpointName } from "../../shared/config.js";
import { readAppliedRelease } from "../../shared/releases/applied-release.js";
import { createRuntime } from "../../shared/runtime.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { exampleConfigCopy } from "../support/example-config.js";
import { stackVertexLocation } from "../support/stack-vertex.js";

// `modelgate demo gitops` against a started stack (as `npm start` runs it, with its stack file), fraud-detector
// configured `releases.drift: repair`: every stage must reach its end, and the endpoint must serve the last release.
const model = "fraud-detector";
const stateDir = mkdtempSync(join(tmpdir(), "modelgate-demo-gitops-"));
const { path: configPath, config } = exampleConfigCopy((doc) => {
  doc.models[model].releases = { drift: "repair" };
});

describe("modelgate demo gitops", () => {
  let stack: LocalStack;

  beforeAll(async () => {
    execFileSync(process.execPath, ["scripts/build-main.mjs"]);
    stack = await startStack({
      config,
      configPath,
      stackFile: join(stateDir, "stack.json"),
      backoffSeconds: { minimum: 0.2, maximum: 2 },
    });
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("declares and applies a release, repairs a traffic change made by hand, applies the next on a Flux event", {
    timeout: 400_000,
  }, async () => {
    const out: string[] = [];
    const env = { MODELGATE_STATE_DIR: stateDir, MODELGATE_CONFIG: configPath };
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env };
    const code = await runCli(["demo", "gitops"], io);
    const text = out.join("");
    expect(text).toMatch(/release [0-9a-f]{12}: serving\n[\s\S]*30 % of the traffic moved by hand/);
    expect(text).toContain("DRIFT from release");
    expect(text).toContain("repair requested");
    expect(text).toContain("repaired through deploy → verify → rollout");
    expect(text).toContain("fluxEvents answered 202");
    expect(code).toBe(0);

    const runtime = createRuntime({ ...stack.env, MODELGATE_CONFIG: configPath });
    const applied = (await readAppliedRelease(runtime.blobs, model))?.applied;
    expect(applied).toMatchObject({ state: "serving", declaredBy: { trigger: "flux" } });
    const endpoints = new VertexEndpointDeployer(stackVertexLocation(stack, config));
    try {
      const state = await endpoints.getEndpoint(endpointName(config, model));
      expect(state.trafficSplit).toEqual({ [deployedModelId(model, applied?.release.commit ?? "")]: 100 });
    } finally {
      await endpoints.close();
    }
  });

  it("says what is missing when no stack is running", async () => {
    const err: string[] = [];
    const io = {
      out: () => undefined,
      err: (t: string) => err.push(t),
      env: { MODELGATE_STATE_DIR: join(stateDir, "none") },
    };
    expect(await runCli(["demo", "gitops"], io)).toBe(2);
    expect(err.join("")).toContain("no running modelgate stack found");
  });
});
