import type { DeploymentReady } from "../../shared/contracts.js";
import { commitStatus, type NotificationBody, statusContext } from "../../shared/github/notifications.js";
import type { VerifyOutcome } from "./verify-deployment.js";

const stateOf = { pass: "success", fail: "failure", inconclusive: "pending" } as const;

/**
 * The verification commit status of a step: success or failure, or pending while an inconclusive step waits for a
 * person; linking the step's report.
 */
export function verificationStatus(message: DeploymentReady, outcome: VerifyOutcome): NotificationBody {
  const step = (message.rolloutStep ?? 0) + 1;
  const reasons = outcome.reasons.length > 0 ? `: ${outcome.reasons.join("; ")}` : "";
  return commitStatus(
    statusContext.verification(message.model),
    stateOf[outcome.verdict],
    `step ${step} at ${message.canaryPercent} %: ${outcome.verdict}${reasons}`,
    outcome.reportUri,
  );
}
