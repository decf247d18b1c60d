import { hmacSha256 } from "../../shared/ingress/authenticate.js";
import type { IngressDeps } from "../../shared/ingress/deps.js";
import type { IngressHandler } from "../../shared/ingress/http.js";
import { createIngressHandler } from "../../shared/ingress/pipeline.js";
import type { SecretSource } from "../../shared/ingress/secret-file.js";
import { FunctionName } from "../../shared/topology.js";
import { actOnFluxEvent } from "./act-on-flux-event.js";
import { fluxOrigin, guardFluxEvent, parseFluxEvent, type ReceivedFluxEvent } from "./parse-flux-event.js";

/** The header notification-controller's generic-hmac Provider signs the body in: `sha256=<hex>`. */
export const fluxSignatureHeader = "X-Signature";

export interface FluxEventsDeps extends IngressDeps {
  /** HMAC keys (FLUX_WEBHOOK_SECRET or its mounted file); more than one while rotating. */
  secrets: SecretSource;
}

/**
 * fluxEvents' logic: a receiver for Flux's notification-controller (Provider type generic-hmac). Verifies the HMAC
 * over the raw bytes, reads the event, deduplicates on the object, reason and revision, and turns a fresh
 * ReconciliationSucceeded of a configured object into releases-requested for the reconciled commit.
 */
export function createFluxEventsHandler(deps: FluxEventsDeps): IngressHandler {
  return createIngressHandler<ReceivedFluxEvent>(deps, {
    step: FunctionName.fluxEvents,
    what: "a Flux event",
    methodHint: "notification-controller posts its events",
    guard: guardFluxEvent,
    authenticate: hmacSha256(fluxSignatureHeader, deps.secrets, " (is the Provider of type generic-hmac?)"),
    parse: parseFluxEvent,
    origin: (received) => fluxOrigin(received),
    act: (received, context) => actOnFluxEvent(deps, received, context),
    answers: ({ object, event }) => ({
      duplicate: {
        reason: `${event.reason} of ${object} at this revision was already handled`,
        log: "the event was already handled; acknowledging the repeat",
      },
      inProgress: {
        reason: `${event.reason} of ${object} is being handled right now`,
        log: "the event is being handled by another attempt",
      },
      failed: { reason: "a transient failure; send the event again", log: "could not handle a Flux event" },
    }),
  });
}
