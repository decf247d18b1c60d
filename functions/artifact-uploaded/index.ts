import { type CloudEvent, cloudEvent } from "@google-cloud/functions-framework";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { createArtifactUploadedHandler } from "./handler.js";

// Built as the module loads: a bad setting fails the instance at start, before any event is taken.
const handler = createArtifactUploadedHandler(sharedRuntime());
cloudEvent(FunctionName.artifactUploaded, (event: CloudEvent<unknown>) => handler(event));
