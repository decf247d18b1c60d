import { afterAll, beforeAll, vi } from "vitest";
import type { TopicName } from "../../shared/topology.js";
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

/**
 * Starts the local stack (the ingress test config, bucket modelgate-artifacts, `topics`), stubs the environment
 * with its variables and `env`, and serves each of `names`. The functions read their environment on the first
 * request, as on Cloud Run, so the environment may still be arranged until then.
 */
export async function serveOnIngressStack(
  names: string[],
  options: { topics: TopicName[]; env?: Record<string, string> },
): Promise<ServedIngress> {
  const stack = await startIngressStack({
    configYaml: ingressTestConfigYaml(),
    bucket: "modelgate-artifacts",
    topics: options.topics,
  });
  for (const [name, value] of Object.entries({ ...stack.env, ...options.env })) vi.stubEnv(name, value);
  const functions: ServedFunction[] = [];
  for (const name of names) functions.push(await serveFunction(name));
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
  name: string,
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
