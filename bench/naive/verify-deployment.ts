// Naive verifyDeployment: @google-cloud/aiplatform required at the top, its clients constructed eagerly (see eager.ts).
import { verifyDeploymentStep } from "../../functions/verify-deployment/step.js";
import { registerNaiveStep } from "./eager.js";

registerNaiveStep(verifyDeploymentStep, (ports) => ({
  predictor: () => ports.predictor,
  registry: () => ports.registry,
  endpoints: () => ports.deployer,
}));
