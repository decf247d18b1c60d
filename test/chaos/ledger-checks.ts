import type { LocalStack } from "../../local/stack.js";
import { type LedgerEntry, Outcome } from "../../shared/ledger.js";
import {
  chainCompletedActions,
  DeployAction,
  RegisterAction,
  RuntimeAction,
  TrainingAction,
  VerifyAction,
} from "../../shared/ledger-actions.js";
import { Topic } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { operationFaultMessage } from "./faults.js";

/**
 * Every step of the chain on the ledger, once: the records of effects (a job created, a version uploaded, a message
 * published) at most once per promotion, and each step's outcome present. A repeat after a crash may add a
 * decision record instead (`custom-job-reused`, `model-version-reused`, `canary-resumed`): that is the audit of the
 * repeat, not a second effect. A model with `steps` rollout steps verifies up to that many times per promotion.
 */
export function ledgerCompleteness(
  entries: LedgerEntry[],
  promotions: number,
  steps = 1,
  extraChains = 0,
): string[] {
  // A release's or a drift repair's chain starts at deployModel: no GitHub delivery of its own.
  const chains = promotions + extraChains;
  const problems: string[] = [];
  const ok = entries.filter((e) => e.outcome !== Outcome.failed && e.outcome !== Outcome.refused);
  const count = (step: string, ...actions: string[]) =>
    ok.filter((e) => e.step === step && actions.includes(e.action)).length;
  const expect = (what: string, n: number, min: number, max: number) => {
    if (n < min || n > max)
      problems.push(`${what} recorded ${n}× (expected ${min === max ? min : `${min}–${max}`})`);
  };
  expect(
    "githubWebhook accepted",
    count("githubWebhook", Topic.trainingRequested, RegisterAction.deploymentRequested),
    promotions,
    promotions,
  );
  expect("launchTraining custom-job-created", count("launchTraining", TrainingAction.jobCreated), 0, 1);
  expect(
    "launchTraining job created or reused",
    count("launchTraining", TrainingAction.jobCreated, TrainingAction.jobReused),
    1,
    2,
  );
  expect("artifactUploaded artifact-ready", count("artifactUploaded", Topic.artifactReady), 1, 1);
  expect(
    "registerModel model-version-uploaded",
    count("registerModel", RegisterAction.versionUploaded),
    0,
    1,
  );
  expect(
    "registerModel version uploaded or reused",
    count("registerModel", RegisterAction.versionUploaded, RegisterAction.versionReused),
    1,
    2,
  );
  expect(
    "registerModel registration-published",
    count("registerModel", RegisterAction.registrationPublished),
    1,
    1,
  );
  expect("deployModel model-deployed", count("deployModel", DeployAction.modelDeployed), 0, chains);
  expect(
    "deployModel deployment-ready-published",
    count("deployModel", DeployAction.deploymentReadyPublished),
    chains,
    chains,
  );
  // A rollout in steps verifies each step it reaches once: from one (failed at the first) to all of them.
  expect(
    "verifyDeployment verification-completed",
    count("verifyDeployment", VerifyAction.verificationCompleted),
    chains,
    chains * steps,
  );
  expect(
    "rolloutModel rollout/rollback-completed",
    count("rolloutModel", ...chainCompletedActions),
    chains,
    chains,
  );
  return problems;
}

/**
 * Deployments of the commit's deterministic deployed model: DeployModel calls Vertex AI accepted, minus those whose
 * operation then failed. A model's deployments run one at a time, so a failed DeployModel operation on its endpoint
 * belongs to the last DeployModel accepted there before it.
 */
export function countDeployments(
  stack: LocalStack,
  events: Array<Record<string, unknown>>,
  endpoint: string,
  model: string,
  commit: string,
): number {
  const id = deployedModelId(model, commit);
  const accepted = stack.servers.vertex.requestLog.filter(
    (e) =>
      e.code === 0 &&
      e.method.endsWith("DeployModel") &&
      !e.method.endsWith("UndeployModel") &&
      (e.request as { endpoint?: string }).endpoint === endpoint,
  );
  const failedOps = events.filter(
    (e) =>
      e.event === "operation-failed" &&
      e.message === operationFaultMessage("DeployModel") &&
      String(e.operation).startsWith(`${endpoint}/operations/`),
  );
  let count = 0;
  for (const [i, call] of accepted.entries()) {
    const next = accepted[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    if ((call.request as { deployedModel?: { id?: string } }).deployedModel?.id !== id) continue;
    // Operation names are not in the request log; a failure event between this call and the next is this one's.
    const failed = failedOps.some((f) => typeof f.at === "number" && f.at >= call.at && f.at < next);
    if (!failed) count += 1;
  }
  return count;
}

export function isDeadLetter(entry: LedgerEntry): boolean {
  return entry.action === RuntimeAction.deadLettered;
}

export function sorted(split: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(split).sort(([a], [b]) => a.localeCompare(b)));
}
