// Naive rolloutModel: @google-cloud/aiplatform required at the top, its clients constructed eagerly (see eager.ts).
import { cloudEvent } from "@google-cloud/functions-framework";
import { rolloutModelStep } from "../../functions/rollout-model/step.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { eagerPorts, oncePerRuntime } from "./eager.js";

cloudEvent(
  FunctionName.rolloutModel,
  pubsubFunction(
    rolloutModelStep(
      oncePerRuntime((runtime) => {
        const ports = eagerPorts(runtime);
        return { registry: ports.registry, deployer: ports.deployer };
      }),
    ),
    sharedRuntime,
  ),
);
