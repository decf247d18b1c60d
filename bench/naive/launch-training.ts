// Naive launchTraining: @google-cloud/aiplatform required at the top, its clients constructed eagerly (see eager.ts).
import { launchTrainingStep } from "../../functions/launch-training/step.js";
import { registerNaiveStep } from "./eager.js";

registerNaiveStep(launchTrainingStep, (ports) => ({ launcher: ports.launcher }));
