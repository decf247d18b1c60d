import { http } from "@google-cloud/functions-framework";
import { pubsubPushHandler } from "../../shared/pubsub-push-handler.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { deployModelAdapters } from "./adapters.js";
import { deployModelStep } from "./step.js";

http(FunctionName.deployModel, pubsubPushHandler(deployModelStep(deployModelAdapters), sharedRuntime));
