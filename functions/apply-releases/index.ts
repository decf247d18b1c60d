import { http } from "@google-cloud/functions-framework";
import { githubOnFirstUse } from "../../shared/github/access.js";
import { pubsubPushHandler } from "../../shared/pubsub-push-handler.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { applyReleasesStep } from "./step.js";

// Built as the module loads: a bad setting fails the instance at start; the App key is read on the first message.
const runtime = sharedRuntime();
http(
  FunctionName.applyReleases,
  pubsubPushHandler(applyReleasesStep(githubOnFirstUse(runtime, process.env)), () => runtime),
);
