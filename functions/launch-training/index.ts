import { cloudEvent } from "@google-cloud/functions-framework";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { launchTrainingPorts } from "./ports.js";
import { launchTrainingStep } from "./step.js";

cloudEvent(
  FunctionName.launchTraining,
  pubsubFunction(launchTrainingStep(launchTrainingPorts), sharedRuntime),
);
