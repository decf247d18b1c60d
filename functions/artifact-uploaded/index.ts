import { type CloudEvent, cloudEvent } from "@google-cloud/functions-framework";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { createArtifactUploadedHandler } from "./handler.js";

let handler: ReturnType<typeof createArtifactUploadedHandler> | undefined;

cloudEvent(FunctionName.artifactUploaded, (event: CloudEvent<unknown>) => {
  handler ??= createArtifactUploadedHandler(sharedRuntime());
  return handler(event);
});
