import type { StepDefinition } from "../../shared/pubsub-function.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { ReconcileAdapters } from "./adapters.js";
import { reconcileEndpoints } from "./reconcile-endpoints.js";

/**
 * reconcileEndpoints as a Pub/Sub step on `reconcile-requested`. Cloud Scheduler sends the same bytes every run,
 * so a run is keyed by its correlation id when the caller gave one, else by its Pub/Sub message id: a redelivery
 * is the same run, the next schedule a new one.
 */
export function reconcileEndpointsStep(
  adapters: (runtime: Runtime) => ReconcileAdapters,
): StepDefinition<typeof Topic.reconcileRequested> {
  return {
    name: FunctionName.reconcileEndpoints,
    topic: Topic.reconcileRequested,
    idempotencyKey: (message, delivery) => `run:${message.correlationId ?? delivery.messageId}`,
    run: (message, context) => {
      const { runtime } = context;
      return reconcileEndpoints(message, {
        ...adapters(runtime),
        config: runtime.config,
        blobs: runtime.blobs,
        ledger: runtime.ledger,
        claims: runtime.claims,
        publisher: runtime.publisher,
        run: {
          correlationId: message.correlationId ?? context.delivery.messageId,
          cause: context.cause,
          identity: runtime.identity,
        },
      });
    },
  };
}
