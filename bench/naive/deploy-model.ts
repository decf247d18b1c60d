// Naive deployModel: @google-cloud/aiplatform required at the top, its clients constructed eagerly (see eager.ts).
import { cloudEvent } from "@google-cloud/functions-framework";
import { deployModelStep } from "../../functions/deploy-model/step.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { eagerPorts, oncePerRuntime } from "./eager.js";

cloudEvent(
  FunctionName.deployModel,
  pubsubFunction(
    deployModelStep(
      oncePerRuntime((runtime) => {
        const ports = eagerPorts(runtime);
        return { registry: ports.registry, deployer: ports.deployer };
      }),
    ),
    sharedRuntime,
  ),
);
