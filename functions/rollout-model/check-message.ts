import { type Config, endpointName } from "../../shared/config.js";
import type { VerificationCompleted } from "../../shared/contracts.js";
import { ValidationError } from "../../shared/errors.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";

/** The message must be about this model's configured endpoint and the canary deployModel would have made. */
export function checkTarget(message: VerificationCompleted, config: Config): void {
  const endpoint = endpointName(config, message.model);
  const expectedId = deployedModelId(message.model, message.commit);
  const issues = [
    ...(message.endpoint === endpoint
      ? []
      : [{ path: "endpoint", message: `expected ${endpoint}, the configured endpoint of ${message.model}` }]),
    ...(message.deployedModelId === expectedId
      ? []
      : [
          {
            path: "deployedModelId",
            message: `expected ${expectedId}, the canary id of ${message.model}@${message.commit}`,
          },
        ]),
  ];
  if (issues.length > 0) {
    throw new ValidationError(
      `verification-completed for ${message.model}@${message.commit} names a target modelgate did not deploy`,
      issues,
    );
  }
}

/** A promote or abort must come from one of the model's promoters (the CLI checks first; this is the backstop). */
export function checkResume(message: VerificationCompleted, promoters: readonly string[]): void {
  const by = message.resume?.by;
  if (by === undefined || promoters.includes(by)) return;
  throw new ValidationError(
    `${message.resume?.action} of ${message.model}@${message.commit} by "${by}" refused: not one of promotion.promoters`,
    [{ path: "resume.by", message: `expected one of ${promoters.join(", ") || "(nobody is configured)"}` }],
  );
}
