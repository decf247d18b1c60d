import { afterAll, beforeAll, vi } from "vitest";
import { FunctionName, type TopicName } from "../../shared/topology.js";
import { ingressTestConfigYaml } from "./ingress-config.js";
import { type ServedFunction, serveFunction } from "./ingress-http.js";
import { type IngressStack, startIngressStack } from "./ingress-stack.js";

/** Ingress functions served in-process against a local stack, their environment pointed at it. */
export interface ServedIngress {
  stack: IngressStack;
  /** The served functions, in the order named. */
  functions: ServedFunction[];
  close(): Promise<void>;
}

/** The ingress functions' entry modules: each registers its function as it loads, reading the environment then. */
const ingressEntries = {
  [FunctionName.githubWebhook]: () => import("../../functions/github-webhook/index.js"),
  [FunctionName.tektonEvents]: () => import("../../functions/tekton-events/index.js"),
  [FunctionName.artifactUploaded]: () => import("../../functions/artifact-uploaded/index.js"),
  [FunctionName.fluxEvents]: () => import("../../functions/flux-events/index.js"),
} as const;
type IngressName = keyof typeof ingressEntries;

/**
 * Starts the local stack (the ingress test config, bucket modelgate-artifacts, `topics`), stubs the environment
 * with its variables and `env`, then loads and serves each of `names`. The functions read their environment as
 * their module loads, as on Cloud Run (once per test file: a module loads once per file).
 */
export async function serveOnIngressStack(
  names: IngressName[],
  options: { topics: TopicName[]; env?: Record<string, string> },
): Promise<ServedIngress> {
  const stack = await startIngressStack({
    configYaml: ingressTestConfigYaml(),
    bucket: "modelgate-artifacts",
    topics: options.topics,
  });
  for (const [name, value] of Object.entries({ ...stack.env, ...options.env })) vi.stubEnv(name, value);
  const functions: ServedFunction[] = [];
  for (const name of names) {
    await ingressEntries[name]();
    functions.push(await serveFunction(name));
  }
  return {
    stack,
    functions,
    async close() {
      for (const served of functions) await served.close();
      await stack.close();
      vi.unstubAllEnvs();
    },
  };
}

/**
 * Serves one ingress function on a local stack for the whole test file: started before its tests (hooks registered
 * after this call run after it), closed after them. Read `stack` and `fn` inside tests and hooks.
 */
export function serveForFile(
  name: IngressName,
  options: { topics: TopicName[]; env?: Record<string, string> },
): { readonly stack: IngressStack; readonly fn: ServedFunction } {
  let served: ServedIngress | undefined;
  beforeAll(async () => {
    served = await serveOnIngressStack([name], options);
  });
  afterAll(() => served?.close());
  const started = (): ServedIngress => {
    if (served === undefined) throw new Error(`${name} is not served yet: read it inside a test or a hook`);
    return served;
  };
  return {
    get stack() {
      return started().stack;
    },
    get fn() {
      return started().functions[0] as ServedFunction;
    },
  };
}
