import { http } from "@google-cloud/functions-framework";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { createTektonEventsHandler } from "./handler.js";
import { readTektonEventsSettings, tektonMaxBodyBytes } from "./settings.js";

// Built as the module loads: a bad setting or secret fails the instance at start, before any request is taken.
// The clients load only once a request is past authentication (shared/runtime.ts).
const handler = createTektonEventsHandler({ ...sharedRuntime(), ...readTektonEventsSettings(process.env) });
http(
  FunctionName.tektonEvents,
  serveIngress(FunctionName.tektonEvents, { maxBodyBytes: tektonMaxBodyBytes }, handler),
);
