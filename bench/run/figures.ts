import type { BenchBundles } from "../build.js";
import type { ColdSummary } from "./cold-start.js";
import type { DriftFigures } from "./drift.js";
import type { VerificationFigures } from "./verification.js";
import type { WebhookFigures } from "./webhook.js";

/** Everything one run measured, which the report prints and results.json records. */
export interface Figures {
  bundles: BenchBundles;
  /** Ingress functions whose bundle imports @google-cloud/aiplatform (should be none). */
  vertexInIngress: string[];
  cold: {
    bare: ColdSummary;
    refusal: ColdSummary;
    ioFloor: ColdSummary;
    ingress: Record<string, ColdSummary>;
    steps: Record<string, ColdSummary>;
    naive: Record<string, ColdSummary>;
    /** The 1-minute load average as each round began. */
    loads: number[];
  };
  verify: VerificationFigures;
  drift: DriftFigures;
  webhook: WebhookFigures;
}

/** A target the run is checked against; `limit`, for one that can be missed, says what bounds it in this run. */
export interface Target {
  target: string;
  value: number;
  shown: string;
  met: boolean;
  limit?: string;
}
