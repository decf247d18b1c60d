import { http } from "@google-cloud/functions-framework";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { advanceRolloutMaxBodyBytes, createAdvanceRolloutHandler } from "./handler.js";

http(
  FunctionName.advanceRollout,
  serveIngress(FunctionName.advanceRollout, { maxBodyBytes: advanceRolloutMaxBodyBytes }, () =>
    createAdvanceRolloutHandler(sharedRuntime()),
  ),
);
