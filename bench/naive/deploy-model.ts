// Naive deployModel: @google-cloud/aiplatform required at the top, its clients constructed eagerly (see eager.ts).
import { deployModelStep } from "../../functions/deploy-model/step.js";
import { registerNaiveStep } from "./eager.js";

registerNaiveStep(deployModelStep, (ports) => ({ registry: ports.registry, deployer: ports.deployer }));
