import { http } from "@google-cloud/functions-framework";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { createTektonEventsHandler } from "./handler.js";
import { readTektonEventsSettings, tektonMaxBodyBytes } from "./settings.js";

http(
  FunctionName.tektonEvents,
  serveIngress(FunctionName.tektonEvents, { maxBodyBytes: tektonMaxBodyBytes }, () => {
    const runtime = sharedRuntime();
    return createTektonEventsHandler({ ...runtime, ...readTektonEventsSettings(process.env) });
  }),
);
