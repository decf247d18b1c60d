import type { LedgerEntry } from "../../shared/ledger.js";
import { DeployAction, RolloutAction } from "../../shared/ledger-actions.js";
import type { Ledger } from "../../shared/ports.js";
import { FunctionName } from "../../shared/topology.js";

/** The actions by which modelgate itself changes what an endpoint serves or where the production alias points. */
const servingChanges: readonly string[] = [
  DeployAction.modelDeployed,
  RolloutAction.trafficPromoted,
  RolloutAction.trafficRestored,
  RolloutAction.productionAliasMoved,
  RolloutAction.previousModelUndeployed,
  RolloutAction.candidateUndeployed,
];

/** How many of the model's most recently active commits are searched for modelgate's own changes. */
const recentCommits = 20;

/** Who or what is known to have made an endpoint differ from its release. */
export type DriftCause =
  | {
      by: "modelgate";
      /** modelgate's own changes since the release served, newest first (at most five). */
      changes: Array<Pick<LedgerEntry, "step" | "action" | "commit" | "correlationId" | "at">>;
    }
  | { by: "outside-modelgate"; how: string };

/** What the ledger says about the model since `since`: modelgate's changes, and the newest record's id (the reconcile's own aside). */
export interface LedgerSince {
  cause: DriftCause;
  /** The newest record of the model's recent commits: part of what one drift observation is. */
  latestRecord: string | null;
}

/**
 * Reads the model's recently active commits in the ledger for changes modelgate made to the endpoint or the alias
 * after the release started serving (a promotion tag, a rollback). None means someone or something else changed it:
 * Cloud Audit Logs name the principal (docs/flux.md, "Who changed it").
 */
export async function explainDrift(ledger: Ledger, model: string, since: string): Promise<LedgerSince> {
  const page = await ledger.readCommitPage(model, { limit: recentCommits });
  const entries = page.commits.flatMap((c) => c.entries);
  // The reconcile's own records are not news: a run that only saw the same drift again is the same observation.
  const newest = entries
    .filter((e) => e.step !== FunctionName.reconcileEndpoints)
    .reduce<LedgerEntry | null>((a, e) => (a === null || e.at > a.at ? e : a), null);
  const latestRecord = newest?.id ?? null;
  const changes = entries
    .filter((e) => servingChanges.includes(e.action) && e.outcome === "succeeded" && e.at > since)
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, 5)
    .map(({ step, action, commit, correlationId, at }) => ({ step, action, commit, correlationId, at }));
  if (changes.length > 0) return { cause: { by: "modelgate", changes }, latestRecord };
  return {
    cause: {
      by: "outside-modelgate",
      how:
        "no modelgate record changes the endpoint or the alias since the release served; Cloud Audit Logs " +
        "(Admin Activity, aiplatform.googleapis.com) name who did: protoPayload.authenticationInfo.principalEmail",
    },
    latestRecord,
  };
}
