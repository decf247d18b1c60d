import { cloudEvent } from "@google-cloud/functions-framework";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { registerModelPorts } from "./ports.js";
import { registerModelStep } from "./step.js";

cloudEvent(FunctionName.registerModel, pubsubFunction(registerModelStep(registerModelPorts), sharedRuntime));
