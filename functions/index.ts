// The package's main: registers every function with the Functions Framework, so
// `npx functions-framework --target=<name>` serves any one of them, as Cloud Functions does.
// Each function is also bundled on its own for deployment (`npm run build`).
import "./github-webhook/index.js";
import "./tekton-events/index.js";
import "./flux-events/index.js";
import "./artifact-uploaded/index.js";
import "./launch-training/index.js";
import "./register-model/index.js";
import "./deploy-model/index.js";
import "./verify-deployment/index.js";
import "./rollout-model/index.js";
import "./advance-rollout/index.js";
import "./apply-releases/index.js";
import "./reconcile-endpoints/index.js";
import "./notify-github/index.js";
