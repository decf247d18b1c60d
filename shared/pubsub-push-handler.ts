import type { Request, Response } from "@google-cloud/functions-framework";
import { describeError, ValidationError } from "./errors.js";
import { pubsubFunction, type StepDefinition } from "./pubsub-function.js";
import type { Runtime } from "./runtime.js";
import type { TopicName } from "./topology.js";

/**
 * A step as the HTTP function its push subscription calls: the function reads Pub/Sub's push envelope itself, so
 * it sees `deliveryAttempt` (the Functions Framework's conversion to a CloudEvent drops it). The answer is what
 * Pub/Sub push understands: 204 acknowledges; 500 asks for redelivery with the subscription's backoff.
 *
 * A body that is not a push envelope answers 400 with the reason and writes no ledger record. Only Pub/Sub can
 * call these functions (internal ingress, OIDC invoker), so such a body means a misconfigured subscription (say,
 * payload unwrapping): 400 is not an acknowledgement, so Pub/Sub redelivers it and after the delivery limit moves
 * it, intact, to the dead-letter topic, where `modelgate replay` finds it once the subscription is fixed.
 */
export function pubsubPushHandler<T extends TopicName>(
  step: StepDefinition<T>,
  getRuntime: () => Runtime,
): (request: Request, response: Response) => Promise<void> {
  const run = pubsubFunction(step, getRuntime);
  // The runtime may be what failed (a bad configuration): then the line goes to stderr.
  const log = (level: "warn" | "error", message: string, error: Record<string, unknown>) => {
    try {
      getRuntime().logger[level](message, { functionName: step.name, error });
    } catch {
      console.error(message, JSON.stringify(error));
    }
  };
  return async (request, response) => {
    if (request.method !== "POST") {
      response.status(405).set("allow", "POST").send(`${step.name} takes Pub/Sub push deliveries (POST)`);
      return;
    }
    try {
      await run(request.body, request.headers);
      response.status(204).end();
    } catch (error) {
      if (error instanceof ValidationError) {
        log("error", `${step.name} got a request that is not a Pub/Sub push envelope`, error.toJSON());
        response.status(400).send(error.message);
        return;
      }
      // Any other failure: 500 makes Pub/Sub redeliver (a retryable step failure is logged with its message's
      // context by pubsubFunction; this line also covers what fails before or around the step).
      const described = describeError(error);
      log("warn", `${step.name} answers 500 so Pub/Sub redelivers`, described);
      response.status(500).send(String(described.message));
    }
  };
}
