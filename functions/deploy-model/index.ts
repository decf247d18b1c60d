import { http } from "@google-cloud/functions-framework";
import { pubsubPushHandler } from "../../shared/pubsub-push-handler.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { deployModelAdapters } from "./adapters.js";
import { deployModelStep } from "./step.js";

// Built as the module loads: a bad setting fails the instance at start, before any message is taken.
const runtime = sharedRuntime();
http(
  FunctionName.deployModel,
  pubsubPushHandler(deployModelStep(deployModelAdapters), () => runtime),
);
