import { http } from "@google-cloud/functions-framework";
import { pubsubPushHandler } from "../../shared/pubsub-push-handler.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { deployModelPorts } from "./ports.js";
import { deployModelStep } from "./step.js";

http(FunctionName.deployModel, pubsubPushHandler(deployModelStep(deployModelPorts), sharedRuntime));
