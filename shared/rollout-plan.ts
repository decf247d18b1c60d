/**
 * A model's rollout as steps, whether configured (`rollout.steps`) or not: without steps a rollout is today's
 * single canary at `canary.trafficPercent`, whose pass finishes at 100 %. Every step is verified; the pass of the
 * last one finishes the rollout.
 */
import type { ModelConfig } from "./config-schema.js";
import { ValidationError } from "./errors.js";
import { parseDuration } from "./rollout-config.js";

/** One step as the functions use it: its position, the candidate's share, and its bake, approval and sample. */
export interface RolloutStep {
  index: number;
  traffic: number;
  /** Least milliseconds at this share before it is verified; absent: verified at once. */
  bakeMs?: number;
  approval: boolean;
  /** Golden lines verified at this step (the first N); absent: all of them. */
  sampleSize?: number;
}

/** The model's steps, in order (one when it configures none). */
export function rolloutSteps(model: ModelConfig): RolloutStep[] {
  if (!model.rollout) return [{ index: 0, traffic: model.canary.trafficPercent, approval: false }];
  return model.rollout.steps.map((step, index) => {
    const bake = step.bake === undefined ? undefined : parseDuration(step.bake);
    return {
      index,
      traffic: step.traffic,
      approval: step.approval,
      ...(typeof bake === "number" ? { bakeMs: bake } : {}),
      ...(step.sampleSize === undefined ? {} : { sampleSize: step.sampleSize }),
    };
  });
}

/** Step `index` of the model's rollout; a message naming a step the configuration does not have is refused. */
export function rolloutStep(model: ModelConfig, modelName: string, index: number): RolloutStep {
  const steps = rolloutSteps(model);
  const step = steps[index];
  if (!step) {
    throw new ValidationError(`${modelName} has ${steps.length} rollout step(s); there is no step ${index}`, [
      { path: "rolloutStep", message: `expected 0 to ${steps.length - 1}` },
    ]);
  }
  return step;
}

/** The confidence a step's verdict is decided at, or undefined when the model has no rollout steps (no intervals). */
export function rolloutConfidence(model: ModelConfig): number | undefined {
  return model.rollout?.confidence;
}
