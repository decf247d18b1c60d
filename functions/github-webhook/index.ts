import { http } from "@google-cloud/functions-framework";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { createGithubWebhookHandler } from "./handler.js";
import { githubMaxPayloadBytes, readGithubWebhookSettings } from "./settings.js";

// Built as the module loads: a bad setting or secret fails the instance at start, before any request is taken.
// The clients load only once a request is past authentication (shared/runtime.ts).
const handler = createGithubWebhookHandler({ ...sharedRuntime(), ...readGithubWebhookSettings(process.env) });
http(
  FunctionName.githubWebhook,
  serveIngress(FunctionName.githubWebhook, { maxBodyBytes: githubMaxPayloadBytes }, handler),
);
