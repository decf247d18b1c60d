import { sameRepository } from "../../shared/commit.js";
import type { Config } from "../../shared/config.js";
import type { ReleasesRequested } from "../../shared/contracts.js";
import { type IngressResponse, IngressStatus, respond } from "../../shared/ingress/http.js";
import type { IngressContext } from "../../shared/ingress/pipeline.js";
import { Outcome } from "../../shared/ledger.js";
import { IngressAction } from "../../shared/ledger-actions.js";
import { Topic } from "../../shared/topology.js";
import { parseGitRevision, reconciliationSucceeded } from "./flux-event.js";
import type { FluxEventsDeps } from "./handler.js";
import { fluxOrigin, type ReceivedFluxEvent } from "./parse-flux-event.js";

type FluxObject = Config["flux"]["objects"][number];

/**
 * What fluxEvents does with a first-seen authenticated event: a ReconciliationSucceeded of a configured object,
 * fresh, at a git commit, asks for that commit's releases file to be applied (releases-requested); anything else is
 * answered 2xx or refused, and recorded in the ledger with the reason.
 */
export async function actOnFluxEvent(
  deps: FluxEventsDeps,
  received: ReceivedFluxEvent,
  context: IngressContext,
): Promise<IngressResponse> {
  const { event, object, revision } = received;
  const configured = configuredObject(deps.config, received);
  if (configured === undefined) {
    return ignored(context, `${object} is not a configured Flux object (flux.objects)`);
  }
  if (event.reason !== reconciliationSucceeded) {
    return ignored(
      context,
      `${object} reported ${event.reason}; modelgate acts on ${reconciliationSucceeded}`,
    );
  }
  const staleness = stalenessOf(event.timestamp, context.now(), deps.config.flux.maxEventAgeMinutes);
  if (staleness !== null) return refused(context, `the event is ${staleness}: refused as replayed or late`);
  const git = revision === undefined ? null : parseGitRevision(revision);
  if (revision === undefined || git === null) {
    const shown = revision === undefined ? "no revision" : `revision ${JSON.stringify(revision)}`;
    return refused(context, `${object} reported ${shown}, not a git commit (<branch>@sha1:<40 hex>)`);
  }
  const { correlationId, cause } = fluxOrigin(received);
  const message: ReleasesRequested = {
    schemaVersion: 1,
    correlationId,
    repository: configured.repository,
    commit: git.commit,
    causedBy: [cause],
    createdAt: context.now().toISOString(),
    trigger: "flux",
    ...(git.pointer === undefined ? {} : { ref: git.pointer }),
    requestedBy: `flux:${object}`,
    flux: { ...pick(event.involvedObject), revision },
  };
  const messageId = await deps.publisher.publish(Topic.releasesRequested, message);
  const details = { topic: Topic.releasesRequested, messageId, repository: configured.repository, revision };
  for (const model of modelsOf(deps.config, configured.repository)) {
    await context.record({
      model,
      commit: git.commit,
      action: Topic.releasesRequested,
      outcome: Outcome.accepted,
      details,
    });
  }
  context.logger.info(`published releases-requested for ${configured.repository}@${git.commit}`, {
    messageId,
  });
  return respond(202, IngressStatus.accepted, undefined, {
    published: [{ topic: Topic.releasesRequested, commit: git.commit, messageId }],
  });
}

function configuredObject(config: Config, { event }: ReceivedFluxEvent): FluxObject | undefined {
  const { kind, namespace, name } = event.involvedObject;
  return config.flux.objects.find((o) => o.kind === kind && o.namespace === namespace && o.name === name);
}

/** How far the event's time is outside the window, in words, or null when it is inside. */
export function stalenessOf(timestamp: string, now: Date, maxAgeMinutes: number): string | null {
  const ageMs = now.getTime() - Date.parse(timestamp);
  const limitMs = maxAgeMinutes * 60_000;
  if (ageMs > limitMs)
    return `${Math.round(ageMs / 60_000)} minutes old (flux.maxEventAgeMinutes is ${maxAgeMinutes})`;
  if (-ageMs > limitMs) return `${Math.round(-ageMs / 60_000)} minutes in the future`;
  return null;
}

function modelsOf(config: Config, repository: string): Array<string | undefined> {
  const models = Object.entries(config.models)
    .filter(([, model]) => sameRepository(model.repository, repository))
    .map(([name]) => name);
  return models.length > 0 ? models : [undefined];
}

function pick({ kind, namespace, name }: { kind: string; namespace: string; name: string }) {
  return { kind, namespace, name };
}

async function ignored(context: IngressContext, reason: string): Promise<IngressResponse> {
  context.logger.info(`ignored a Flux event: ${reason}`);
  await context.record({
    action: IngressAction.fluxEventIgnored,
    outcome: Outcome.ignored,
    details: { reason },
  });
  return respond(200, IngressStatus.ignored, reason);
}

async function refused(context: IngressContext, reason: string): Promise<IngressResponse> {
  context.logger.warn(`refused a Flux event: ${reason}`, { reason });
  await context.record({
    action: IngressAction.fluxEventRefused,
    outcome: Outcome.refused,
    details: { reason },
  });
  // Authenticated, but no retry can change what it says; notification-controller does not retry a 4xx.
  return respond(422, IngressStatus.refused, reason);
}
