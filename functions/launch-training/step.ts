import { commitStatus, notifyGithubAbout, statusContext } from "../../shared/github/notifications.js";
import { adaptedStep } from "../../shared/pubsub-function.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import type { LaunchTrainingAdapters } from "./adapters.js";
import { launchTraining } from "./launch-training.js";

/**
 * launchTraining as a Pub/Sub step on `training-requested`: one training job per model and commit, and one more
 * per explicit retrain attempt (`modelgate retrain`).
 */
export const launchTrainingStep = adaptedStep<typeof Topic.trainingRequested, LaunchTrainingAdapters>({
  name: FunctionName.launchTraining,
  topic: Topic.trainingRequested,
  idempotencyKey: (message) =>
    `${message.model}@${message.commit}${message.retrain === undefined ? "" : `#retrain-${message.retrain}`}`,
  logic: async (message, deps) => {
    const job = await launchTraining(message, deps);
    const said = `training job ${job.job.split("/").at(-1)} ${job.reused ? "found" : "started"}`;
    await notifyGithubAbout(
      message,
      commitStatus(statusContext.training(message.model), "pending", said),
      deps,
    );
    return job;
  },
});
