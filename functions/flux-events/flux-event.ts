import * as z from "zod";

/**
 * An event as Flux's notification-controller posts it to a `generic` or `generic-hmac` Provider: the JSON of
 * eventv1.Event (github.com/fluxcd/pkg/apis/event/v1beta1). Current notification-controllers trim the involved
 * object's API group from the metadata keys (`revision`; internal/server/event_handlers.go, combineEventMetadata);
 * earlier ones sent `kustomize.toolkit.fluxcd.io/revision`, as the Provider documentation's example still shows.
 * Bounded: Flux caps `message` at 39,000 characters.
 */
export const FluxEvent = z.looseObject({
  involvedObject: z.looseObject({
    kind: z.string().min(1).max(63),
    namespace: z.string().min(1).max(63),
    name: z.string().min(1).max(253),
    uid: z.string().max(64).optional(),
    apiVersion: z.string().max(253).optional(),
  }),
  severity: z.string().max(16),
  timestamp: z.iso.datetime({ offset: true }),
  message: z.string().max(39_000),
  reason: z.string().min(1).max(128),
  metadata: z.record(z.string().max(253), z.string().max(65_536)).optional(),
  reportingController: z.string().max(253),
  reportingInstance: z.string().max(253).optional(),
});
export type FluxEvent = z.infer<typeof FluxEvent>;

/** The one reason the receiver acts on: a Kustomization (or HelmRelease) applied the revision it reports. */
export const reconciliationSucceeded = "ReconciliationSucceeded";

/** A git revision as Flux reports it: the named pointer (branch, tag or ref) when given, and the commit. */
export interface GitRevision {
  pointer?: string;
  commit: string;
}

// Flux 2 reports `<pointer>@sha1:<sha>` (or `sha1:<sha>`); source-controller before v1 (Flux 0.x) reported
// `<pointer>/<sha>`, which notification-controller still reads (fluxcd/pkg git.TransformRevision), so both are read.
const currentForm = /^(?:(.{1,255})@)?sha1:([0-9a-f]{40})$/;
const legacyForm = /^(.{1,255})\/([0-9a-f]{40})$/;

/**
 * The commit of a Flux revision, or null for anything that is not a SHA-1 git revision (an OCI digest
 * `latest@sha256:…`, a SHA-256 repository, an abbreviated or upper-case hash, a chart version).
 */
export function parseGitRevision(revision: string): GitRevision | null {
  const match = currentForm.exec(revision) ?? legacyForm.exec(revision);
  if (!match?.[2]) return null;
  return match[1] === undefined ? { commit: match[2] } : { pointer: match[1], commit: match[2] };
}

/**
 * The revision an event reports: `revision`, else the group-prefixed key older notification-controllers sent,
 * else `originRevision` (the git commit an OCI artifact was built from) when `revision` is not a git one.
 */
export function eventRevision(event: FluxEvent): string | undefined {
  const metadata = event.metadata ?? {};
  const group = event.involvedObject.apiVersion?.split("/")[0];
  const revision = metadata.revision ?? (group === undefined ? undefined : metadata[`${group}/revision`]);
  if (revision !== undefined && parseGitRevision(revision) !== null) return revision;
  return metadata.originRevision ?? revision;
}

/** `Kind/namespace/name`, how the receiver names a Flux object in logs, keys and the ledger. */
export function objectRef(event: Pick<FluxEvent, "involvedObject">): string {
  const { kind, namespace, name } = event.involvedObject;
  return `${kind}/${namespace}/${name}`;
}
