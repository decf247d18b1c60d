// Naive rolloutModel: @google-cloud/aiplatform required at the top, its clients constructed eagerly (see eager.ts).
import { rolloutModelStep } from "../../functions/rollout-model/step.js";
import { registerNaiveStep } from "./eager.js";

registerNaiveStep(rolloutModelStep, (ports) => ({ registry: ports.registry, deployer: ports.deployer }));
