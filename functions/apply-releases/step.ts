import type { CommitStatuses, GithubRepositories } from "../../shared/github/ports.js";
import { type StepDefinition, stepDeps } from "../../shared/pubsub-function.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { applyReleases } from "./apply-releases.js";

/**
 * applyReleases as a Pub/Sub step on `releases-requested`: one application per repository commit and request. A
 * second request for the same commit (a redelivered push, Flux after the push) finds every release unchanged.
 */
export function applyReleasesStep(
  github: () => GithubRepositories & CommitStatuses,
): StepDefinition<typeof Topic.releasesRequested> {
  return {
    name: FunctionName.applyReleases,
    topic: Topic.releasesRequested,
    idempotencyKey: (message) => `${message.repository}@${message.commit}#${message.correlationId}`,
    run: (message, context) => applyReleases(message, { github: github(), ...stepDeps(context) }),
  };
}
