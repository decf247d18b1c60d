import type { ModelConfig } from "./config-schema.js";

const digestSuffix = /^@sha256:[0-9a-f]{64}$/;

/**
 * Why a training request may not run `image` for this model, or null when it may. The image that runs as the
 * trainer comes from the configuration: the configured `training.container` itself, or an image CI built, named
 * by the configured `training.ciImageRepository` and pinned by a `@sha256:` digest (a tag can be moved later).
 * tektonEvents checks this before publishing and launchTraining again before starting a job, so neither a run's
 * results nor a forged training-requested message can choose what runs as the trainer.
 */
export function trainingImageRefusal(training: ModelConfig["training"], image: string): string | null {
  if (image === training.container) return null;
  const repository = training.ciImageRepository;
  if (repository === undefined) {
    return `image ${describe(image)} is not the configured training.container, and no training.ciImageRepository is configured`;
  }
  if (image.startsWith(repository) && digestSuffix.test(image.slice(repository.length))) return null;
  return `image ${describe(image)} is neither the configured training.container nor ${repository}@sha256:<64 hex digits>`;
}

/** The image, cut short: it comes from the event and goes into replies and the ledger. */
function describe(image: string): string {
  return JSON.stringify(image.length > 200 ? `${image.slice(0, 200)}…` : image);
}
