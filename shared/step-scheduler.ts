import { createHash } from "node:crypto";
import type { DeploymentReady } from "./contracts.js";

/** What became of a request to schedule a step's verification. */
export const Scheduled = { scheduled: "scheduled", alreadyScheduled: "already-scheduled" } as const;
export type Scheduled = (typeof Scheduled)[keyof typeof Scheduled];

/**
 * Schedules a rollout step's `deployment-ready` for a later time, so that a bake is waited out without an instance
 * held (Cloud Tasks in production: shared/tasks/cloud-tasks-scheduler.ts). A second request under the same name is
 * `already-scheduled`, never a second task.
 */
export interface StepScheduler {
  schedule(name: string, message: DeploymentReady, at: Date): Promise<Scheduled>;
}

/**
 * The task id of a rollout step: the same for every attempt at the same (model, commit, request, step), so a
 * redelivered or repeated advance finds the task already there. Cloud Tasks ids are `[A-Za-z0-9_-]{1,500}`.
 */
export function stepTaskId(
  message: Pick<DeploymentReady, "model" | "commit" | "correlationId">,
  step: number,
) {
  const digest = createHash("sha256")
    .update(`${message.model}@${message.commit}#${message.correlationId}`)
    .digest("hex");
  return `rollout-${digest.slice(0, 40)}-step-${step}`;
}
