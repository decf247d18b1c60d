import { execFileSync } from "node:child_process";
import { pushPayload } from "../../cli/github-push.js";
import { type LocalStack, type StackOptions, startStack } from "../../local/stack.js";
import { createRuntime, type Runtime } from "../../shared/runtime.js";

/**
 * What an end-to-end test runs against: the package's main built as `npm start` builds it, the whole local stack
 * with fast redelivery (unless `backoffSeconds` says otherwise), and a runtime on that stack for reading and writing
 * as the functions do.
 */
export async function startE2eStack(options: StackOptions): Promise<{ stack: LocalStack; runtime: Runtime }> {
  execFileSync(process.execPath, ["scripts/build-main.mjs"]);
  const stack = await startStack({ backoffSeconds: { minimum: 0.2, maximum: 2 }, ...options });
  return { stack, runtime: createRuntime({ ...stack.env, MODELGATE_CONFIG: options.configPath }) };
}

/** The push GitHub sends when `commit` changes fraud-detector's training code on main (its `paths`: retrain). */
export function fraudDetectorTrainingPush(commit: string) {
  return pushPayload({
    repository: "acme/fraud-detector",
    ref: "refs/heads/main",
    commit,
    modified: ["models/fraud-detector/train.py"],
  });
}
