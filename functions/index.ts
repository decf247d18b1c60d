// The package's main: registers the function this process serves, so `npx functions-framework --target=<name>`
// serves any one of them, as Cloud Functions does. Only that function's module loads (every one when no target is
// named): each function parses its settings and secrets as its module loads, and a process is given only its own
// function's secrets. Each function is also bundled on its own for deployment (`npm run build`).
import { servedTarget } from "../shared/ingress/body-guard.js";
import { FunctionName } from "../shared/topology.js";

const entries = {
  [FunctionName.githubWebhook]: () => import("./github-webhook/index.js"),
  [FunctionName.tektonEvents]: () => import("./tekton-events/index.js"),
  [FunctionName.fluxEvents]: () => import("./flux-events/index.js"),
  [FunctionName.artifactUploaded]: () => import("./artifact-uploaded/index.js"),
  [FunctionName.launchTraining]: () => import("./launch-training/index.js"),
  [FunctionName.registerModel]: () => import("./register-model/index.js"),
  [FunctionName.deployModel]: () => import("./deploy-model/index.js"),
  [FunctionName.verifyDeployment]: () => import("./verify-deployment/index.js"),
  [FunctionName.rolloutModel]: () => import("./rollout-model/index.js"),
  [FunctionName.advanceRollout]: () => import("./advance-rollout/index.js"),
  [FunctionName.applyReleases]: () => import("./apply-releases/index.js"),
  [FunctionName.reconcileEndpoints]: () => import("./reconcile-endpoints/index.js"),
  [FunctionName.notifyGithub]: () => import("./notify-github/index.js"),
} satisfies Record<FunctionName, () => Promise<unknown>>;

const target = servedTarget(process.argv.slice(2), process.env);
// A target that is not one of ours loads nothing: the Functions Framework then says the function is not defined.
const served =
  target === undefined
    ? (Object.keys(entries) as FunctionName[])
    : Object.hasOwn(entries, target)
      ? [target as FunctionName]
      : [];
for (const name of served) await entries[name]();
