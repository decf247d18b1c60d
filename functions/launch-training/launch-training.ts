import type { Config } from "../../shared/config.js";
import { modelConfig } from "../../shared/config.js";
import type { TrainingRequested } from "../../shared/contracts.js";
import { ForbiddenError } from "../../shared/errors.js";
import { Outcome } from "../../shared/ledger.js";
import { TrainingAction } from "../../shared/ledger-actions.js";
import { modelBaseDir } from "../../shared/manifest.js";
import {
  Label,
  type TrainingJob,
  type TrainingJobSpec,
  type TrainingLauncher,
} from "../../shared/model-ports.js";
import { shortSha } from "../../shared/names.js";
import { recordedCall, type TraceContext } from "../../shared/recorded-call.js";
import { trainingImageRefusal } from "../../shared/training-image.js";
import { labelValue, provenanceLabels } from "../../shared/vertex/labels.js";

/** What launchTraining needs: the Vertex AI job launcher, the configuration, and somewhere to leave its trace. */
export interface LaunchTrainingDeps {
  launcher: TrainingLauncher;
  config: Config;
  trace: TraceContext;
}

export interface LaunchTrainingResult {
  job: string;
  state: string;
  /** True when a job an earlier attempt created was found and no new one was made. */
  reused: boolean;
}

/** States of a job that is on its way: whoever asks to train the commit now waits for it. */
const liveJobStates: ReadonlySet<string> = new Set([
  "JOB_STATE_QUEUED",
  "JOB_STATE_PENDING",
  "JOB_STATE_RUNNING",
]);

/**
 * Whether an earlier job stands for this request: one still on its way, or one that succeeded. A failed, cancelled
 * or expired job does not (one transient failure must not block the commit), and for an explicit retrain only a
 * success of that same retrain does: the operator asked for a new training.
 */
function jobServesRequest(job: TrainingJob, message: TrainingRequested): boolean {
  if (liveJobStates.has(job.state)) return true;
  if (job.state !== "JOB_STATE_SUCCEEDED") return false;
  return (
    message.retrain === undefined || job.labels[Label.correlationId] === labelValue(message.correlationId)
  );
}

/**
 * Starts the Vertex AI CustomJob that trains a model at a commit, at most once per model and commit: Vertex AI
 * has no request id for CreateCustomJob, so the step first looks for a job an earlier attempt made (by its
 * model and commit labels) and reuses it if it is running or succeeded (see `jobServesRequest`).
 */
export async function launchTraining(
  message: TrainingRequested,
  deps: LaunchTrainingDeps,
): Promise<LaunchTrainingResult> {
  const { launcher, trace } = deps;
  const spec = trainingJobSpec(message, deps.config);
  const identity = { [Label.model]: labelValue(message.model), [Label.commit]: labelValue(message.commit) };

  const existing = await recordedCall(trace, TrainingAction.jobsListed, () => launcher.findJobs(identity), {
    labels: identity,
  });
  const earlier = existing.find((job) => jobServesRequest(job, message));
  if (earlier) {
    trace.logger.info(
      `training job for ${message.model}@${message.commit} exists already; not creating another`,
      {
        job: earlier.name,
        state: earlier.state,
      },
    );
    await trace.record({
      action: TrainingAction.jobReused,
      outcome: Outcome.skipped,
      details: { job: earlier.name, state: earlier.state, jobsFound: existing.length },
    });
    return { job: earlier.name, state: earlier.state, reused: true };
  }

  if (existing.length > 0) {
    const passedOver = existing.map((job) => ({ job: job.name, state: job.state }));
    trace.logger.info(`earlier training jobs for ${message.model}@${message.commit} ended; training again`, {
      passedOver,
    });
    await trace.record({
      action: TrainingAction.jobsPassedOver,
      outcome: Outcome.skipped,
      details: { passedOver, ...(message.retrain === undefined ? {} : { retrain: message.retrain }) },
    });
  }
  const job = await recordedCall(trace, TrainingAction.jobCreated, () => launcher.createJob(spec), { spec });
  return { job: job.name, state: job.state, reused: false };
}

/**
 * The CustomJob for a training request, from the model's training configuration: the image CI built for the
 * commit if the message names one, else the configured container; `{bucket}`, `{model}` and `{commit}` in the
 * arguments filled in; the trainer contract's MODELGATE_* variables set; output under `models/<model>/<commit>/`.
 * An image the configuration does not allow is a permanent ForbiddenError: the message is recorded, not run.
 */
export function trainingJobSpec(message: TrainingRequested, config: Config): TrainingJobSpec {
  const model = modelConfig(config, message.model);
  const refusal = message.image === undefined ? null : trainingImageRefusal(model.training, message.image);
  if (refusal !== null) {
    throw new ForbiddenError(`${message.model}: ${refusal}`, {
      details: { model: message.model, commit: message.commit, requestedBy: message.requestedBy },
    });
  }
  const fill = (text: string) =>
    text
      .replaceAll("{bucket}", config.bucket)
      .replaceAll("{model}", message.model)
      .replaceAll("{commit}", message.commit);
  return {
    displayName: `modelgate-${message.model}-${shortSha(message.commit)}`,
    container: message.image ?? model.training.container,
    command: model.training.command.map(fill),
    args: model.training.args.map(fill),
    env: {
      MODELGATE_MODEL: message.model,
      MODELGATE_COMMIT: message.commit,
      MODELGATE_REPOSITORY: message.repository,
      MODELGATE_SERVING_CONTAINER: model.serving.container,
      MODELGATE_CORRELATION_ID: message.correlationId,
    },
    machineType: model.training.machineType,
    ...(model.training.serviceAccount ? { serviceAccount: model.training.serviceAccount } : {}),
    baseOutputDirectory: `gs://${config.bucket}/${modelBaseDir(message.model, message.commit)}`,
    labels: provenanceLabels(message),
    timeoutSeconds: model.training.timeoutMinutes * 60,
  };
}
