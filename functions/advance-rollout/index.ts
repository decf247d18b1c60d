import { http } from "@google-cloud/functions-framework";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { advanceRolloutMaxBodyBytes, createAdvanceRolloutHandler } from "./handler.js";

// Built as the module loads: a bad setting fails the instance at start, before any request is taken.
const handler = createAdvanceRolloutHandler(sharedRuntime());
http(
  FunctionName.advanceRollout,
  serveIngress(FunctionName.advanceRollout, { maxBodyBytes: advanceRolloutMaxBodyBytes }, handler),
);
