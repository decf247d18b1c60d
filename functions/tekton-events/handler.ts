import { sharedToken } from "../../shared/ingress/authenticate.js";
import type { IngressDeps } from "../../shared/ingress/deps.js";
import type { IngressHandler } from "../../shared/ingress/http.js";
import { createIngressHandler } from "../../shared/ingress/pipeline.js";
import type { SecretSource } from "../../shared/ingress/secret-file.js";
import type { BlobStore } from "../../shared/ports.js";
import { FunctionName } from "../../shared/topology.js";
import { actOnRun } from "./act-on-run.js";
import { parseRunEvent, type RunEvent } from "./parse-run-event.js";

/** The header the in-cluster forwarder puts the shared token in (never the URL: URLs reach access logs). */
export const tektonTokenHeader = "X-Modelgate-Token";

export interface TektonEventsDeps extends IngressDeps {
  /** The artifact bucket, to re-read modelgate.json before publishing artifact-ready. */
  blobs: BlobStore;
  /** Shared tokens (TEKTON_SINK_TOKEN or its mounted file); more than one while rotating. */
  tokens: SecretSource;
}

/**
 * tektonEvents' logic: a CloudEvents sink for Tekton's run events. Authenticates the forwarder's shared token
 * (before anything else, so a stranger learns nothing of what the sink accepts), reads and validates the
 * CloudEvent, accepts runs only from allowed namespaces, deduplicates on source + id, and turns a successful run of
 * a mapped pipeline into artifact-ready (after re-reading the manifest from the bucket) or training-requested.
 * Failed runs are recorded.
 */
export function createTektonEventsHandler(deps: TektonEventsDeps): IngressHandler {
  const namespaces = new Set(deps.config.tekton.namespaces);
  return createIngressHandler<RunEvent>(deps, {
    step: FunctionName.tektonEvents,
    what: "a Tekton event",
    methodHint: "CloudEvents arrive by POST",
    authenticate: sharedToken(tektonTokenHeader, deps.tokens),
    parse: (request, log) => parseRunEvent(request, namespaces, log),
    origin: ({ event, run }) => ({
      key: `${event.source}#${event.id}`,
      correlationId: event.id,
      cause: { source: event.source, id: event.id },
      details: {
        eventType: event.type,
        eventId: event.id,
        eventSource: event.source,
        namespace: run.namespace,
        run: run.name,
        kind: run.kind,
        ...(run.definition === undefined ? {} : { pipeline: run.definition }),
      },
    }),
    act: (runEvent, context) => actOnRun(deps, runEvent, context),
    answers: ({ event }) => ({
      duplicate: {
        reason: `event ${event.id} from ${event.source} was already handled`,
        log: "the event was already handled; acknowledging the repeat",
      },
      inProgress: {
        reason: `event ${event.id} is being handled right now`,
        log: "the event is being handled by another attempt",
      },
      failed: { reason: "a transient failure; send the event again", log: "could not handle a Tekton event" },
    }),
  });
}
