import { describe, expect, it } from "vitest";
import { reconcileEndpoints } from "../../functions/reconcile-endpoints/reconcile-endpoints.js";
import { endpointName } from "../../shared/config.js";
import type { ReconcileRequested } from "../../shared/contracts.js";
import { NotFoundError, TransientError } from "../../shared/errors.js";
import { Outcome } from "../../shared/ledger.js";
import { ReconcileAction, RolloutAction } from "../../shared/ledger-actions.js";
import { type AppliedRelease, writeAppliedRelease } from "../../shared/releases/applied-release.js";
import { Topic } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { FakeVertex } from "../support/fake-vertex.js";
import { memoryRuntime } from "../support/memory-runtime.js";

const model = "fraud-detector";
const declaredCommit = "a".repeat(40);
const otherCommit = "b".repeat(40);
const declaredBy = "d".repeat(40);
const scheduled: ReconcileRequested = { schemaVersion: 1, trigger: "schedule" };

/** fraud-detector serving `declaredCommit` as its release: all the traffic, the production alias. */
async function setup(options: { drift?: "report" | "repair"; state?: AppliedRelease["state"] } = {}) {
  const runtime = memoryRuntime();
  const config = structuredClone(runtime.config);
  const settings = config.models[model];
  if (settings === undefined) throw new Error("the example configuration has no fraud-detector");
  settings.releases.drift = options.drift ?? "report";
  const vertex = new FakeVertex();
  const endpoint = vertex.addEndpoint(settings.endpoint);
  expect(endpoint).toBe(endpointName(config, model));
  const declared = await vertex.registerCommit(declaredCommit);
  const other = await vertex.registerCommit(otherCommit);
  const spec = (commit: string, versionId: string) => ({
    deployedModelId: deployedModelId(model, commit),
    modelResource: declared.modelResource,
    versionId,
    displayName: commit.slice(0, 7),
    machineType: "n1-standard-2",
    minReplicas: 1,
    maxReplicas: 1,
  });
  await vertex.deploy(endpoint, {
    ...spec(declaredCommit, declared.versionId),
    trafficSplit: { [deployedModelId(model, declaredCommit)]: 100 },
  });
  await vertex.mergeAliases(declared.modelResource, declared.versionId, ["production"], []);
  await writeAppliedRelease(
    runtime.blobs,
    {
      schemaVersion: 1,
      model,
      release: { commit: declaredCommit, canaryPercent: 20 },
      declaredBy: {
        repository: "acme/fraud-detector",
        commit: declaredBy,
        path: "modelgate.releases.yaml",
        trigger: "flux",
        at: "2026-01-01T00:00:00.000Z",
      },
      state: options.state ?? "serving",
      versionId: declared.versionId,
      updatedAt: "2026-01-01T00:10:00.000Z",
    },
    "0",
  );
  const deps = {
    ...runtime,
    config,
    registry: vertex,
    endpoints: vertex,
    run: { correlationId: "run-1", cause: { source: "pubsub:reconcile-requested", id: "m-1" } },
  };
  const deployOther = (split: Record<string, number>) =>
    vertex.deploy(endpoint, { ...spec(otherCommit, other.versionId), trafficSplit: split });
  const records = async () =>
    (await runtime.ledger.read(model)).filter((e) => e.step === "reconcileEndpoints");
  return { runtime, deps, vertex, endpoint, declared, other, deployOther, records };
}

const declaredId = deployedModelId(model, declaredCommit);
const otherId = deployedModelId(model, otherCommit);

describe("reconcileEndpoints", () => {
  it("records a model whose endpoint serves its release as in sync, and publishes nothing", async () => {
    const { deps, runtime, records } = await setup();
    expect(await reconcileEndpoints(scheduled, deps)).toEqual([{ model, state: "in-sync" }]);
    expect(await records()).toMatchObject([
      {
        commit: declaredCommit,
        action: ReconcileAction.inSync,
        outcome: Outcome.succeeded,
        correlationId: "run-1",
      },
    ]);
    expect(runtime.publisher.published).toEqual([]);
  });

  it("reports a traffic split changed by hand as changed outside modelgate, and only reports it by default", async () => {
    const { deps, runtime, deployOther, records } = await setup();
    await deployOther({ [declaredId]: 70, [otherId]: 30 });
    const [result] = await reconcileEndpoints(scheduled, deps);
    expect(result).toMatchObject({
      state: "drift",
      repair: "reported",
      differences: [{ kind: "traffic", actual: { [declaredId]: 70, [otherId]: 30 } }],
    });
    expect(await records()).toMatchObject([
      {
        action: ReconcileAction.driftDetected,
        outcome: Outcome.failed,
        details: {
          mode: "report",
          declared: { commit: declaredCommit, declaredBy: { commit: declaredBy } },
          changedBy: { by: "outside-modelgate", how: expect.stringMatching(/Cloud Audit Logs/) },
        },
      },
    ]);
    expect(runtime.publisher.published).toEqual([]);
  });

  it("repairs an undeployed release through the chain, once per observation", async () => {
    const { deps, runtime, vertex, endpoint, deployOther, records } = await setup({ drift: "repair" });
    await deployOther({ [declaredId]: 0, [otherId]: 100 });
    await vertex.undeploy(endpoint, declaredId, { [otherId]: 100 });
    const [result] = await reconcileEndpoints(scheduled, deps);
    expect(result).toMatchObject({
      state: "drift",
      repair: "requested",
      differences: [{ kind: "not-deployed" }],
    });
    const [repair] = runtime.publisher.on(Topic.deploymentRequested);
    expect(repair).toMatchObject({
      model,
      commit: declaredCommit,
      repository: "acme/fraud-detector",
      reason: "release-repair",
      canaryPercent: 20,
      release: { declaredBy },
      causedBy: [{ source: "pubsub:reconcile-requested", id: "m-1" }],
    });
    expect(repair?.correlationId).toMatch(/^repair-[0-9a-f]{32}$/);
    // The next run sees the same drift, with nothing recorded but its own records: no second repair.
    const again = await reconcileEndpoints(scheduled, {
      ...deps,
      run: { ...deps.run, correlationId: "run-2" },
    });
    expect(again).toMatchObject([{ state: "drift", repair: "already-requested" }]);
    expect(runtime.publisher.on(Topic.deploymentRequested)).toHaveLength(1);
    // Records of one millisecond may list in any order: compare them as a set.
    const seen = (await records()).map((r) => `${r.action} ${r.details?.repair ?? "-"}`);
    expect(seen.sort()).toEqual([
      `${ReconcileAction.driftDetected} already-requested`,
      `${ReconcileAction.driftDetected} requested`,
      `${ReconcileAction.repairRequested} -`,
    ]);
  });

  it("asks the chain to repair a split changed by hand and an alias moved, the release still deployed", async () => {
    const { deps, runtime, vertex, declared, other, deployOther } = await setup({ drift: "repair" });
    await deployOther({ [declaredId]: 60, [otherId]: 40 });
    await vertex.mergeAliases(declared.modelResource, other.versionId, ["production"], []);
    expect(await reconcileEndpoints(scheduled, deps)).toMatchObject([
      { state: "drift", repair: "requested", differences: [{ kind: "traffic" }, { kind: "alias" }] },
    ]);
    expect(runtime.publisher.on(Topic.deploymentRequested)).toMatchObject([
      { model, commit: declaredCommit, reason: "release-repair" },
    ]);
  });

  it("reports without repairing on a dry run, even where drift is repaired", async () => {
    const { deps, runtime, deployOther } = await setup({ drift: "repair" });
    await deployOther({ [declaredId]: 50, [otherId]: 50 });
    expect(await reconcileEndpoints({ ...scheduled, dryRun: true }, deps)).toMatchObject([
      { state: "drift", repair: "reported" },
    ]);
    expect(runtime.publisher.published).toEqual([]);
  });

  it("reports a production alias moved to another version", async () => {
    const { deps, vertex, declared, other } = await setup();
    await vertex.mergeAliases(declared.modelResource, other.versionId, ["production"], []);
    expect(await reconcileEndpoints(scheduled, deps)).toMatchObject([
      {
        state: "drift",
        differences: [
          { kind: "alias", expectedVersionId: declared.versionId, actualVersionId: other.versionId },
        ],
      },
    ]);
  });

  it("names modelgate's own change when its ledger explains the drift", async () => {
    const { deps, runtime, deployOther, records } = await setup();
    await deployOther({ [declaredId]: 0, [otherId]: 100 });
    await runtime.ledger.append({
      model,
      commit: otherCommit,
      step: "rolloutModel",
      action: RolloutAction.trafficPromoted,
      outcome: Outcome.succeeded,
      correlationId: "promotion-tag-delivery",
      causedBy: [{ source: "pubsub:verification-completed", id: "m-9" }],
    });
    await reconcileEndpoints(scheduled, deps);
    const [drift] = await records();
    expect(drift?.details?.changedBy).toMatchObject({
      by: "modelgate",
      changes: [
        {
          step: "rolloutModel",
          action: RolloutAction.trafficPromoted,
          commit: otherCommit,
          correlationId: "promotion-tag-delivery",
        },
      ],
    });
  });

  it("skips a model whose release is being applied, saying why", async () => {
    const { deps, records } = await setup({ state: "requested" });
    expect(await reconcileEndpoints(scheduled, deps)).toMatchObject([
      { state: "skipped", reason: expect.stringMatching(/being applied/) },
    ]);
    expect(await records()).toMatchObject([
      { action: ReconcileAction.reconcileSkipped, outcome: Outcome.skipped },
    ]);
  });

  it("compares with the release that served last when a newer one failed", async () => {
    const { deps, runtime } = await setup();
    const stored = await runtime.blobs.read("releases/fraud-detector.json");
    const applied = JSON.parse(stored?.data.toString() ?? "{}");
    const { release, declaredBy, versionId, updatedAt } = applied;
    await writeAppliedRelease(
      runtime.blobs,
      {
        ...applied,
        release: { commit: otherCommit },
        state: "failed",
        reason: "verification failed",
        versionId: undefined,
        lastServing: { release, declaredBy, versionId, updatedAt },
      },
      stored?.generation ?? "0",
    );
    expect(await reconcileEndpoints(scheduled, deps)).toEqual([{ model, state: "in-sync" }]);
  });

  it("records a model whose endpoint cannot be read and still reconciles the run", async () => {
    const { deps, vertex, records } = await setup();
    vertex.failNext("getEndpoint", new NotFoundError("endpoint fraud-detector not found"));
    expect(await reconcileEndpoints(scheduled, deps)).toMatchObject([
      { state: "skipped", reason: expect.stringMatching(/not found/) },
    ]);
    expect(await records()).toMatchObject([
      { action: ReconcileAction.reconcileSkipped, outcome: Outcome.failed },
    ]);
    vertex.failNext("getEndpoint", new TransientError("unavailable"));
    await expect(reconcileEndpoints(scheduled, deps)).rejects.toThrow(/unavailable/);
  });

  it("reconciles only the models asked for", async () => {
    const { deps } = await setup();
    expect(await reconcileEndpoints({ ...scheduled, models: ["churn"] }, deps)).toEqual([]);
  });
});
