import type { FunctionName } from "../../shared/topology.js";

export interface CrashRecord {
  model: string;
  commit: string;
  fn: FunctionName;
  point: string;
}

export interface CommitResult {
  model: string;
  commit: string;
  data: "normal" | "shifted";
  /** Pushed during a Vertex AI outage longer than the retry span: its message is meant to be dead-lettered. */
  outage: boolean;
  /** Promotions of this commit: its own auto-deploy plus promotion tags. */
  promotions: number;
  verdicts: string[];
  trainingJobs: number;
  versions: number;
  deployments: number;
  expectedDeployments: number;
  /** The endpoint's split right after this commit's (last) chain ended, and whether it is what the verdict requires. */
  split: string;
  splitOk: boolean;
  ledgerComplete: boolean;
  ledgerProblems: string[];
  lost: number;
  deadLettered: number;
  replayed: number;
  crashes: number;
}

export interface ChaosReport {
  seed: number;
  commitsPerModel: number;
  webhookDeliveries: number;
  webhookDuplicates: number;
  webhookStatuses: Record<string, number>;
  pubsubPublished: number;
  pubsubDeliveries: number;
  pubsubDuplicates: number;
  vertexFaultsInjected: number;
  vertexFaultsHit: number;
  operationFaults: number;
  crashes: CrashRecord[];
  deadLettered: number;
  /** Dead letters of commits pushed during the designed outage. */
  deadLetteredByDesign: number;
  replayed: number;
  commits: CommitResult[];
  /** The releases phase: the applied state at the end, repairs asked for the one drift, whether the split is exact. */
  releases?: { applied: string; repairs: number; splitExact: boolean };
  /** Every invariant violation, as a sentence; empty when the run is clean. */
  problems: string[];
  seconds: number;
}

export interface Promotion {
  correlationHint: "push" | "tag";
  deliveryId: string;
}

export interface CommitState {
  model: string;
  commit: string;
  data: "normal" | "shifted";
  outage: boolean;
  promotions: Promotion[];
  expectedDeployments: number;
  /** Chains not started by a GitHub delivery of its own: a release's, a drift repair's. */
  extraChains?: number;
  splitOk: boolean;
  split: string;
  crashes: number;
}

/** A report with nothing counted yet. */
export function emptyReport(options: { seed: number; commitsPerModel: number }): ChaosReport {
  return {
    seed: options.seed,
    commitsPerModel: options.commitsPerModel,
    webhookDeliveries: 0,
    webhookDuplicates: 0,
    webhookStatuses: {},
    pubsubPublished: 0,
    pubsubDeliveries: 0,
    pubsubDuplicates: 0,
    vertexFaultsInjected: 0,
    vertexFaultsHit: 0,
    operationFaults: 0,
    crashes: [],
    deadLettered: 0,
    deadLetteredByDesign: 0,
    replayed: 0,
    commits: [],
    problems: [],
    seconds: 0,
  };
}
