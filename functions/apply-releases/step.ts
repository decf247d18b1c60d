import { type StepDefinition, stepDeps } from "../../shared/pubsub-function.js";
import type { Runtime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { ApplyReleasesAdapters } from "./adapters.js";
import { applyReleases } from "./apply-releases.js";

/**
 * applyReleases as a Pub/Sub step on `releases-requested`: one application per repository commit and request. A
 * second request for the same commit (a redelivered push, Flux after the push) finds every release unchanged.
 */
export function applyReleasesStep(
  adapters: (runtime: Runtime) => ApplyReleasesAdapters,
): StepDefinition<typeof Topic.releasesRequested> {
  return {
    name: FunctionName.applyReleases,
    topic: Topic.releasesRequested,
    idempotencyKey: (message) => `${message.repository}@${message.commit}#${message.correlationId}`,
    run: (message, context) => applyReleases(message, { ...adapters(context.runtime), ...stepDeps(context) }),
  };
}
