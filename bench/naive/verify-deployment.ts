// Naive verifyDeployment: @google-cloud/aiplatform required at the top, its clients constructed eagerly (see eager.ts).
import { cloudEvent } from "@google-cloud/functions-framework";
import { verifyDeploymentStep } from "../../functions/verify-deployment/step.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { eagerPorts, oncePerRuntime } from "./eager.js";

cloudEvent(
  FunctionName.verifyDeployment,
  pubsubFunction(
    verifyDeploymentStep(
      oncePerRuntime((runtime) => {
        const ports = eagerPorts(runtime);
        return {
          predictor: () => ports.predictor,
          registry: () => ports.registry,
          endpoints: () => ports.deployer,
        };
      }),
    ),
    sharedRuntime,
  ),
);
