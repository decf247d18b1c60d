import { describe, expect, it } from "vitest";
import { chainEnded } from "../../cli/follow-chain.js";
import { isReadOnly } from "../../cli/lineage-view.js";
import { Outcome } from "../../shared/ledger.js";
import {
  completesChain,
  DeployAction,
  endsChain,
  IngressAction,
  RegisterAction,
  RolloutAction,
  RuntimeAction,
  TrainingAction,
  VerifyAction,
} from "../../shared/ledger-actions.js";

const entry = (step: string, action: string, outcome: Outcome = Outcome.succeeded) => ({
  step,
  action,
  outcome,
  model: "m",
  commit: "c",
  correlationId: "x",
  causedBy: [],
  at: "2026-01-01T00:00:00.000Z",
  id: `ledger/m/c/${action}`,
});

describe("ledger actions", () => {
  it.each([
    [RolloutAction.rolloutCompleted, Outcome.succeeded],
    [RolloutAction.rollbackCompleted, Outcome.succeeded],
    [RuntimeAction.stepFailed, Outcome.failed],
    [RuntimeAction.deadLettered, Outcome.failed],
    [IngressAction.promotionRefused, Outcome.refused],
  ] as const)("%s (%s) ends a commit's chain", (action, outcome) => {
    expect(endsChain({ action, outcome })).toBe(true);
    expect(chainEnded([entry("someStep", action), entry("someStep", action, outcome)])).toBe(true);
  });

  it.each([
    TrainingAction.jobCreated,
    RegisterAction.registrationPublished,
    DeployAction.deploymentReadyPublished,
    VerifyAction.verificationCompleted,
    RolloutAction.trafficPromoted,
  ])("%s does not end the chain", (action) => {
    expect(chainEnded([entry("someStep", action)])).toBe(false);
  });

  it("counts only the last step's end as a completed chain", () => {
    expect(completesChain({ action: RolloutAction.rollbackCompleted })).toBe(true);
    expect(completesChain({ action: RuntimeAction.deadLettered })).toBe(false);
  });

  it("hides reads and lists in the lineage, and nothing that changes state", () => {
    const reads = [
      TrainingAction.jobsListed,
      RegisterAction.parentModelFound,
      RegisterAction.versionsListed,
      DeployAction.endpointRead,
      RolloutAction.modelVersionRead,
    ];
    for (const action of reads) expect(isReadOnly(entry("s", action))).toBe(true);
    for (const action of [
      TrainingAction.jobCreated,
      RolloutAction.productionAliasMoved,
      DeployAction.modelDeployed,
    ])
      expect(isReadOnly(entry("s", action))).toBe(false);
  });
});
