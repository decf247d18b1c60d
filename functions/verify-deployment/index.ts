import { cloudEvent } from "@google-cloud/functions-framework";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { verifyDeploymentPorts } from "./ports.js";
import { verifyDeploymentStep } from "./step.js";

cloudEvent(
  FunctionName.verifyDeployment,
  pubsubFunction(verifyDeploymentStep(verifyDeploymentPorts), sharedRuntime),
);
