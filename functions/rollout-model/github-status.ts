import type { VerificationCompleted } from "../../shared/contracts.js";
import { deploymentStatus, type NotificationBody, stepUnderWay } from "../../shared/github/notifications.js";
import type { RolloutStep } from "../../shared/rollout-plan.js";
import { PauseReason, type RolloutMove } from "./next-move.js";

/**
 * What the rollout's GitHub deployment says after a verdict was acted on: in_progress with the step now under way
 * or paused at, success when it finished, failure when it rolled back (from any step); each links the report.
 */
export function rolloutStatus(
  message: VerificationCompleted,
  move: RolloutMove,
  steps: readonly RolloutStep[],
): NotificationBody {
  const of = steps.length;
  const at = message.rolloutStep ?? 0;
  const report = { reportUri: message.reportUri };
  const reasons = message.reasons.join("; ");
  switch (move.kind) {
    case "finish": {
      // A first deployment (nothing served before) takes all the traffic at once, verified as the last step.
      const first = Object.keys(message.previousTrafficSplit).length === 0;
      const how = first ? "a first deployment, verified at 100 %" : `after ${of} step${of === 1 ? "" : "s"}`;
      return deploymentStatus(
        message.endpoint,
        "success",
        `version ${message.versionId} serves all the traffic: ${how}`,
        report,
      );
    }
    case "roll-back":
      return deploymentStatus(
        message.endpoint,
        "failure",
        `${move.aborted ? "aborted" : "failed"} at step ${at + 1} of ${of}, split restored: ${reasons}`,
        report,
      );
    case "advance": {
      const bake = move.step.bakeMs === undefined ? "verifying" : `baking ${move.step.bakeMs / 1000}s`;
      return stepUnderWay(message.endpoint, { index: move.step.index, of, percent: move.step.traffic }, bake);
    }
    case "pause": {
      const why =
        move.reason === PauseReason.approval ? "waiting for modelgate promote" : `inconclusive: ${reasons}`;
      const percent = steps[at]?.traffic ?? 0;
      return stepUnderWay(
        message.endpoint,
        { index: move.step, of, percent },
        `paused, ${why}`,
        message.reportUri,
      );
    }
  }
}
