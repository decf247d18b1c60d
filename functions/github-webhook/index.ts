import { http } from "@google-cloud/functions-framework";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { createGithubWebhookHandler } from "./handler.js";
import { githubMaxPayloadBytes, readGithubWebhookSettings } from "./settings.js";

http(
  FunctionName.githubWebhook,
  serveIngress(FunctionName.githubWebhook, { maxBodyBytes: githubMaxPayloadBytes }, () => {
    const runtime = sharedRuntime();
    return createGithubWebhookHandler({ ...runtime, ...readGithubWebhookSettings(process.env) });
  }),
);
