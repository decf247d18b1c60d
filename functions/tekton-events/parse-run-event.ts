import type { CloudEvent } from "cloudevents";
import { ignore, refuse } from "../../shared/ingress/early-answer.js";
import { requireBody, requireBodyWithin, requireMediaType } from "../../shared/ingress/guards.js";
import type { IngressRequest } from "../../shared/ingress/http.js";
import type { StageLog } from "../../shared/ingress/pipeline.js";
import { CloudEventMediaType, parseCloudEvent } from "./parse-cloud-event.js";
import { tektonMaxBodyBytes } from "./settings.js";
import {
  parseTektonEventType,
  parseTektonRun,
  parseTektonSource,
  RunState,
  type TektonRun,
} from "./tekton-run.js";

/** A finished run, from an allowed namespace, that is not part of a PipelineRun: what tektonEvents acts on. */
export interface RunEvent {
  event: CloudEvent<unknown>;
  run: TektonRun;
  succeeded: boolean;
}

/**
 * Reads an authenticated request as a Tekton run event: a binary- or structured-mode CloudEvent whose source names
 * the run it carries, in a namespace of `namespaces`. Events of runs still going, and TaskRuns of a PipelineRun,
 * are ignored; anything malformed or from elsewhere is refused.
 */
export function parseRunEvent(
  request: IngressRequest,
  namespaces: ReadonlySet<string>,
  log: StageLog,
): RunEvent {
  const { binary, structured } = CloudEventMediaType;
  requireMediaType(
    request,
    [binary, structured],
    (type) => `content type ${type} is neither ${binary} (binary mode) nor ${structured} (structured mode)`,
  );
  requireBodyWithin(request, tektonMaxBodyBytes, `the limit is ${tektonMaxBodyBytes}`);
  requireBody(request);
  const event = parseOrRefuse(() => parseCloudEvent(request));
  if (event.id.length > 128) throw refuse(400, "the CloudEvent id is longer than 128 characters");
  log.add({ eventId: event.id, eventType: event.type, eventSource: event.source });

  const eventType = parseTektonEventType(event.type);
  if (!eventType) {
    const reason = `event type ${event.type} is not a Tekton PipelineRun or TaskRun event`;
    throw ignore(reason, `ignored CloudEvent type ${event.type}`);
  }
  const source = parseTektonSource(event.source);
  if (!source) {
    throw refuse(
      403,
      `source ${event.source} is not a Tekton run (/apis/tekton.dev/<version>/namespaces/<ns>/…)`,
    );
  }
  const run = parseOrRefuse(() => parseTektonRun(eventType.kind, event.data));
  if (run.namespace !== source.namespace) {
    throw refuse(
      403,
      `the run's namespace ${run.namespace} differs from the event source's ${source.namespace}`,
    );
  }
  if (!namespaces.has(run.namespace)) {
    throw refuse(403, `namespace ${run.namespace} is not allowed to trigger work (tekton.namespaces)`, {
      namespace: run.namespace,
    });
  }
  if (source.kind !== run.kind || source.name !== run.name) {
    throw refuse(
      400,
      `the event source ${event.source} does not name the ${run.kind} ${run.name} it carries`,
    );
  }
  log.add({ namespace: run.namespace, run: run.name });

  const { state } = eventType;
  if (state !== RunState.successful && state !== RunState.failed) {
    const reason = `${run.kind} ${run.name} is ${state}; modelgate acts when it succeeds or fails`;
    throw ignore(reason, `ignored a ${state} event`, "debug");
  }
  if (run.parentPipelineRun !== undefined) {
    const reason = `TaskRun ${run.name} belongs to PipelineRun ${run.parentPipelineRun}, whose own event counts`;
    throw ignore(reason, "ignored a TaskRun of a PipelineRun", "debug");
  }
  return { event, run, succeeded: state === RunState.successful };
}

function parseOrRefuse<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw refuse(400, (error as Error).message);
  }
}
