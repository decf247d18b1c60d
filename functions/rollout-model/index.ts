import { cloudEvent } from "@google-cloud/functions-framework";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { rolloutModelPorts } from "./ports.js";
import { rolloutModelStep } from "./step.js";

cloudEvent(FunctionName.rolloutModel, pubsubFunction(rolloutModelStep(rolloutModelPorts), sharedRuntime));
