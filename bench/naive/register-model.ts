// Naive registerModel: @google-cloud/aiplatform required at the top, its clients constructed eagerly (see eager.ts).
import { cloudEvent } from "@google-cloud/functions-framework";
import { registerModelStep } from "../../functions/register-model/step.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { eagerPorts, oncePerRuntime } from "./eager.js";

cloudEvent(
  FunctionName.registerModel,
  pubsubFunction(
    registerModelStep(
      oncePerRuntime((runtime) => {
        const ports = eagerPorts(runtime);
        return { registry: ports.registry };
      }),
    ),
    sharedRuntime,
  ),
);
