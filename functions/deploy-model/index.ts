import { cloudEvent } from "@google-cloud/functions-framework";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { deployModelPorts } from "./ports.js";
import { deployModelStep } from "./step.js";

cloudEvent(FunctionName.deployModel, pubsubFunction(deployModelStep(deployModelPorts), sharedRuntime));
