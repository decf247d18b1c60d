import { http } from "@google-cloud/functions-framework";
import { pubsubPushHandler } from "../../shared/pubsub-push-handler.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { reconcileAdapters } from "./adapters.js";
import { reconcileEndpointsStep } from "./step.js";

// Built as the module loads: a bad setting fails the instance at start, before any message is taken.
const runtime = sharedRuntime();
http(
  FunctionName.reconcileEndpoints,
  pubsubPushHandler(reconcileEndpointsStep(reconcileAdapters), () => runtime),
);
