import { createHash } from "node:crypto";
import { refuse } from "../../shared/ingress/early-answer.js";
import {
  requireBody,
  requireBodyWithin,
  requireJsonBody,
  requireMediaType,
} from "../../shared/ingress/guards.js";
import type { IngressRequest } from "../../shared/ingress/http.js";
import type { StageLog } from "../../shared/ingress/pipeline.js";
import { issuesToText } from "../../shared/zod-issues.js";
import { eventRevision, FluxEvent, objectRef } from "./flux-event.js";
import { fluxMaxBodyBytes } from "./settings.js";

/** One authenticated Flux event, parsed, with what identifies it. */
export interface ReceivedFluxEvent {
  event: FluxEvent;
  /** `Kind/namespace/name`. */
  object: string;
  /** The revision the event reports, if any (not yet known to be a git one). */
  revision: string | undefined;
  /** The idempotency key: the object (and its uid), the reason, and the revision or else the body's digest. */
  key: string;
}

/** The checks before the signature: JSON, and within the size any Flux event has. */
export function guardFluxEvent(request: IngressRequest): void {
  requireMediaType(
    request,
    ["application/json"],
    (type) => `content type ${type} is not application/json, which notification-controller sends`,
  );
  requireBodyWithin(request, fluxMaxBodyBytes, `a Flux event is at most ${fluxMaxBodyBytes}`);
  requireBody(request);
}

/** Reads an authenticated request as a Flux event; anything else is refused (400) with what is wrong. */
export function parseFluxEvent(request: IngressRequest, log: StageLog): ReceivedFluxEvent {
  const body = requireJsonBody(request);
  const parsed = FluxEvent.safeParse(body);
  if (!parsed.success) throw refuse(400, `the body is not a Flux event: ${issuesToText(parsed.error)}`);
  const event = parsed.data;
  const object = objectRef(event);
  const revision = eventRevision(event);
  log.add({ fluxObject: object, fluxReason: event.reason, ...(revision === undefined ? {} : { revision }) });
  // The same object reconciling the same revision is one event however often it is sent; an event with no
  // revision is one event per exact body.
  const instance = revision ?? `body:${createHash("sha256").update(request.body).digest("hex")}`;
  const key = `${object}:${event.involvedObject.uid ?? "-"}#${event.reason}@${instance}`;
  return { event, object, revision, key };
}

/** Where an event came from, as its idempotency key, its messages and every ledger record of it say. */
export function fluxOrigin({ event, object, revision, key }: ReceivedFluxEvent) {
  return {
    key,
    // Keys may be long (a 253-character name, a revision); the correlation id is a fixed-length digest of one.
    correlationId: `flux-${createHash("sha256").update(key).digest("hex").slice(0, 32)}`,
    cause: { source: `flux:${object}`, id: revision ?? event.timestamp },
    details: {
      fluxObject: object,
      reason: event.reason,
      reportingController: event.reportingController,
      eventTimestamp: event.timestamp,
      ...(revision === undefined ? {} : { revision }),
    },
  };
}
