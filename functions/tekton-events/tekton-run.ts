import * as z from "zod";
import { ValidationError } from "../../shared/errors.js";
import { issuesToText } from "../../shared/zod-issues.js";

/**
 * Tekton's CloudEvents (https://tekton.dev/docs/pipelines/events/): the type names the resource and its state;
 * the body is `{"pipelineRun": …}` or `{"taskRun": …}` holding the run converted to v1beta1, so results are
 * `status.pipelineResults` / `status.taskResults` and params `spec.params`.
 */
export const RunKind = { pipelineRun: "pipelineRun", taskRun: "taskRun" } as const;
export type RunKind = (typeof RunKind)[keyof typeof RunKind];

export const RunState = {
  started: "started",
  running: "running",
  successful: "successful",
  failed: "failed",
  unknown: "unknown",
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

const eventTypePattern =
  /^dev\.tekton\.event\.(pipelinerun|taskrun)\.(started|running|successful|failed|unknown)\.v1$/;

/** The resource and state a Tekton event type names, or null for any other type. */
export function parseTektonEventType(type: string): { kind: RunKind; state: RunState } | null {
  const match = eventTypePattern.exec(type);
  if (!match?.[1] || !match[2]) return null;
  return {
    kind: match[1] === "pipelinerun" ? RunKind.pipelineRun : RunKind.taskRun,
    state: match[2] as RunState,
  };
}

const sourcePattern = /^\/apis\/tekton\.dev\/[^/]+\/namespaces\/([^/]+)\/(pipelineruns|taskruns)\/([^/]+)$/;

/** Namespace, resource and name from a Tekton event source `/apis/tekton.dev/<version>/namespaces/<ns>/<resource>/<name>`. */
export function parseTektonSource(source: string): { namespace: string; kind: RunKind; name: string } | null {
  const match = sourcePattern.exec(source);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  return {
    namespace: match[1],
    kind: match[2] === "pipelineruns" ? RunKind.pipelineRun : RunKind.taskRun,
    name: match[3],
  };
}

// A v1beta1 param or result value is a string, an array or an object; modelgate reads strings only.
const NamedValue = z.looseObject({ name: z.string(), value: z.unknown() });
const Condition = z.looseObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
const RunObject = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().min(1),
    uid: z.string().optional(),
    labels: z.record(z.string(), z.string()).prefault({}),
  }),
  spec: z
    .looseObject({
      params: z.array(NamedValue).prefault([]),
      pipelineRef: z.looseObject({ name: z.string().optional() }).optional(),
      taskRef: z.looseObject({ name: z.string().optional() }).optional(),
      serviceAccountName: z.string().optional(),
    })
    .prefault({}),
  status: z
    .looseObject({
      conditions: z.array(Condition).prefault([]),
      pipelineResults: z.array(NamedValue).prefault([]),
      taskResults: z.array(NamedValue).prefault([]),
    })
    .prefault({}),
});

/** A PipelineRun or TaskRun, narrowed to what modelgate reads. */
export interface TektonRun {
  kind: RunKind;
  name: string;
  namespace: string;
  uid?: string;
  /** The name that maps the run to models: the Pipeline's for a PipelineRun, the Task's for a standalone TaskRun. */
  definition?: string;
  /** For a TaskRun inside a PipelineRun, that PipelineRun's name. */
  parentPipelineRun?: string;
  params: Map<string, string>;
  results: Map<string, string>;
  /** The Succeeded condition's reason and message, for the ledger. */
  condition?: { status: string; reason?: string; message?: string };
}

/** Reads the run out of an event's data; the wrong shape is a ValidationError naming the field. */
export function parseTektonRun(kind: RunKind, data: unknown): TektonRun {
  const wrapped = z.looseObject({ [kind]: RunObject }).safeParse(data);
  if (!wrapped.success) {
    throw new ValidationError(`the event data is not {"${kind}": …}: ${issuesToText(wrapped.error)}`);
  }
  const run = wrapped.data[kind] as z.infer<typeof RunObject>;
  const labels = run.metadata.labels;
  const definition =
    kind === RunKind.pipelineRun
      ? (labels["tekton.dev/pipeline"] ?? run.spec.pipelineRef?.name)
      : (labels["tekton.dev/task"] ?? run.spec.taskRef?.name);
  const parent = kind === RunKind.taskRun ? labels["tekton.dev/pipelineRun"] : undefined;
  const succeeded = run.status.conditions.find((c) => c.type === "Succeeded");
  return {
    kind,
    name: run.metadata.name,
    namespace: run.metadata.namespace,
    ...(run.metadata.uid === undefined ? {} : { uid: run.metadata.uid }),
    ...(definition === undefined ? {} : { definition }),
    ...(parent === undefined ? {} : { parentPipelineRun: parent }),
    params: stringValues(run.spec.params),
    results: stringValues(kind === RunKind.pipelineRun ? run.status.pipelineResults : run.status.taskResults),
    ...(succeeded === undefined
      ? {}
      : {
          condition: {
            status: succeeded.status,
            ...(succeeded.reason === undefined ? {} : { reason: succeeded.reason }),
            ...(succeeded.message === undefined ? {} : { message: succeeded.message }),
          },
        }),
  };
}

/** A run value by key: its result if it has one, else its param. Trimmed: results written with `echo` end in "\n". */
export function runValue(run: TektonRun, key: string): string | undefined {
  return run.results.get(key) ?? run.params.get(key);
}

function stringValues(entries: ReadonlyArray<{ name: string; value?: unknown }>): Map<string, string> {
  const values = new Map<string, string>();
  for (const { name, value } of entries) {
    if (typeof value !== "string") continue;
    const trimmed = value.trim();
    if (trimmed !== "") values.set(name, trimmed);
  }
  return values;
}
