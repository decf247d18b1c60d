import { type LedgerEntry, Outcome } from "./ledger.js";

/** Actions the Pub/Sub runtime records around every step (shared/pubsub-function.ts). */
export const RuntimeAction = {
  messageRejected: "message-rejected",
  stepFailed: "step-failed",
  deadLettered: "dead-lettered",
} as const;

/** Actions of launchTraining. */
export const TrainingAction = {
  jobsListed: "custom-jobs-listed",
  jobReused: "custom-job-reused",
  jobsPassedOver: "custom-jobs-passed-over",
  jobCreated: "custom-job-created",
} as const;

/** Actions of registerModel. */
export const RegisterAction = {
  parentModelFound: "parent-model-found",
  versionsListed: "model-versions-listed",
  versionReused: "model-version-reused",
  versionUploaded: "model-version-uploaded",
  registrationPublished: "registration-published",
  deploymentRequested: "deployment-requested",
} as const;

/** Actions of deployModel. */
export const DeployAction = {
  endpointRead: "endpoint-read",
  parentModelFound: RegisterAction.parentModelFound,
  versionsListed: RegisterAction.versionsListed,
  alreadyServing: "already-serving",
  canaryResumed: "canary-resumed",
  canaryInProgress: "canary-in-progress",
  /** A release-repair of a declared version still deployed: a rollout planned from the endpoint's split as found. */
  repairPlanned: "repair-planned",
  modelDeployed: "model-deployed",
  deploymentReadyPublished: "deployment-ready-published",
} as const;

/** Actions of verifyDeployment. */
export const VerifyAction = {
  verificationCompleted: "verification-completed",
} as const;

/** Actions of rolloutModel. */
export const RolloutAction = {
  endpointRead: DeployAction.endpointRead,
  modelVersionRead: "model-version-read",
  trafficPromoted: "traffic-promoted",
  productionAliasMoved: "production-alias-moved",
  previousModelUndeployed: "previous-model-undeployed",
  trafficRestored: "traffic-restored",
  candidateUndeployed: "candidate-undeployed",
  verdictLabelled: "verdict-labelled",
  rolloutCompleted: "rollout-completed",
  rollbackCompleted: "rollback-completed",
  /** The split moved to the next step's share. */
  trafficAdvanced: "traffic-advanced",
  /** The next step's deployment-ready published at once (no bake). */
  stepPublished: "rollout-step-published",
  /** The next step's deployment-ready scheduled after its bake (a Cloud Tasks task). */
  stepScheduled: "rollout-step-scheduled",
  /** The step passed and the next one needs a person's approval (`modelgate promote`). */
  awaitingApproval: "rollout-awaiting-approval",
  /** The step's sample could not decide; a person promotes or aborts. */
  pausedInconclusive: "rollout-paused-inconclusive",
  /** A person's promote let the rollout go on (who and when in details.resume). */
  resumed: "rollout-resumed",
  /** A person's abort rolled the rollout back (who and when in details.resume). */
  aborted: "rollout-aborted",
  /** A step's verdict arrived for a candidate no longer deployed (rolled back or aborted meanwhile). */
  stepSuperseded: "rollout-step-superseded",
} as const;

/** Actions of applyReleases, and of the steps that report a release's outcome (rolloutModel, notifyGithub). */
export const ReleasesAction = {
  releasesRequestReceived: "releases-request-received",
  fileMissing: "releases-file-missing",
  fileRefused: "releases-file-refused",
  releaseRefused: "release-refused",
  releaseUnchanged: "release-unchanged",
  releaseRequested: "release-requested",
  releaseAlreadyServing: "release-already-serving",
  releaseOutcomeRecorded: "release-outcome-recorded",
  releaseSuperseded: "release-superseded",
  commitStatusSet: "commit-status-set",
} as const;

/** What became of a notification for GitHub: asked of notifyGithub, skipped, or a deployment status set. */
export const GithubAction = {
  notificationRequested: "github-notification-requested",
  notificationSkipped: "github-notification-skipped",
  notificationRefused: "github-notification-refused",
  deploymentStatusSet: "deployment-status-set",
  deploymentStatusStale: "deployment-status-stale",
} as const;

/** Actions of reconcileEndpoints, each recorded under the model and the commit of its serving release. */
export const ReconcileAction = {
  inSync: "release-in-sync",
  driftDetected: "drift-detected",
  repairRequested: "drift-repair-requested",
  reconcileSkipped: "reconcile-skipped",
} as const;

/**
 * Actions of the HTTP and storage ingress functions (githubWebhook, tektonEvents, fluxEvents, artifactUploaded). A message they
 * publish is recorded under its topic's name (`Topic.trainingRequested`, `Topic.artifactReady`).
 */
export const IngressAction = {
  webhookPing: "webhook-ping",
  webhookIgnored: "webhook-ignored",
  promotionRefused: "promotion-refused",
  messageRefused: "message-refused",
  runRefused: "run-refused",
  runFailed: "run-failed",
  artifactRefused: "artifact-refused",
  fluxEventIgnored: "flux-event-ignored",
  fluxEventRefused: "flux-event-refused",
} as const;

/** Actions of the command line. */
export const CliAction = {
  retrainRequested: "retrain-requested",
  promoteRequested: "promote-requested",
  abortRequested: "abort-requested",
} as const;

type ValueOf<T> = T[keyof T];
export type LedgerAction =
  | ValueOf<typeof RuntimeAction>
  | ValueOf<typeof TrainingAction>
  | ValueOf<typeof RegisterAction>
  | ValueOf<typeof DeployAction>
  | ValueOf<typeof VerifyAction>
  | ValueOf<typeof RolloutAction>
  | ValueOf<typeof ReleasesAction>
  | ValueOf<typeof ReconcileAction>
  | ValueOf<typeof GithubAction>
  | ValueOf<typeof IngressAction>
  | ValueOf<typeof CliAction>;

/** The actions that end the last step: one per promotion that went the whole way (rolled out or back). */
export const chainCompletedActions: readonly LedgerAction[] = [
  RolloutAction.rolloutCompleted,
  RolloutAction.rollbackCompleted,
];

/** The actions after which a commit's chain goes no further: the last step's end, or a message given up on. */
export const terminalActions: readonly LedgerAction[] = [
  ...chainCompletedActions,
  RuntimeAction.stepFailed,
  RuntimeAction.deadLettered,
];

/** Actions that read or list and change nothing (the lineage view hides them unless asked). */
export const readOnlyActions: readonly LedgerAction[] = [
  TrainingAction.jobsListed,
  RegisterAction.parentModelFound,
  RegisterAction.versionsListed,
  DeployAction.endpointRead,
  RolloutAction.modelVersionRead,
  // A reconcile that found the endpoint in sync, or had nothing to compare, changed nothing (one every schedule).
  ReconcileAction.inSync,
  ReconcileAction.reconcileSkipped,
];

/** Records of a rollout waiting for a person at a step: `modelgate promote` or `abort` goes on from there. */
export const pausedActions: readonly LedgerAction[] = [
  RolloutAction.awaitingApproval,
  RolloutAction.pausedInconclusive,
];

/** True once a record ends its commit's chain: a terminal action, or a refusal before the last step. */
export function endsChain(entry: Pick<LedgerEntry, "action" | "outcome">): boolean {
  return (terminalActions as readonly string[]).includes(entry.action) || entry.outcome === Outcome.refused;
}

/** True for a record of the last step's end: the chain went the whole way. */
export function completesChain(entry: Pick<LedgerEntry, "action">): boolean {
  return (chainCompletedActions as readonly string[]).includes(entry.action);
}
