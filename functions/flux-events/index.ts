import { http } from "@google-cloud/functions-framework";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { createFluxEventsHandler } from "./handler.js";
import { fluxMaxBodyBytes, readFluxEventsSettings } from "./settings.js";

http(
  FunctionName.fluxEvents,
  serveIngress(FunctionName.fluxEvents, { maxBodyBytes: fluxMaxBodyBytes }, () => {
    const runtime = sharedRuntime();
    return createFluxEventsHandler({ ...runtime, ...readFluxEventsSettings(process.env) });
  }),
);
