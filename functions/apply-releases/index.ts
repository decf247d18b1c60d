import { http } from "@google-cloud/functions-framework";
import { githubFromEnv } from "../../shared/github/access.js";
import { pubsubPushHandler } from "../../shared/pubsub-push-handler.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { applyReleasesStep } from "./step.js";

// Built as the module loads: a bad setting fails the instance at start. The App key is read on the first message:
// the package's main registers every function in one process, and only this one mounts the key.
const runtime = sharedRuntime();
let github: ReturnType<typeof githubFromEnv> | undefined;
http(
  FunctionName.applyReleases,
  pubsubPushHandler(
    applyReleasesStep(() => {
      github ??= githubFromEnv(process.env, runtime.config, runtime.settings);
      return github;
    }),
    () => runtime,
  ),
);
