import { http } from "@google-cloud/functions-framework";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { createFluxEventsHandler } from "./handler.js";
import { fluxMaxBodyBytes, readFluxEventsSettings } from "./settings.js";

// Built as the module loads: a bad setting or secret fails the instance at start, before any request is taken.
// The clients load only once a request is past authentication (shared/runtime.ts).
const handler = createFluxEventsHandler({ ...sharedRuntime(), ...readFluxEventsSettings(process.env) });
http(
  FunctionName.fluxEvents,
  serveIngress(FunctionName.fluxEvents, { maxBodyBytes: fluxMaxBodyBytes }, handler),
);
