import type { FunctionName } from "./topology.js";

/**
 * How the functions run on Cloud Functions, beyond their code: the instance memory and the V8 flags each gets
 * through NODE_OPTIONS. Terraform reads this (through modelgate.generated.json) and the benchmark runs its
 * workers with the same V8 heap, so the figures are the deployment's.
 */

/** Every function's instance memory (Terraform's default; `function_settings` may override it per function). */
export const instanceMemory = "512M";

/**
 * The V8 heap Node gives a 512 MiB instance: it sizes the heap from the container's memory limit (cgroup), and
 * in a 512 MiB cgroup Node 20 reports a 259 MiB heap limit with 256 MiB old space and 1 MiB semi-spaces.
 */
const instanceHeapFlags = ["--max-old-space-size=256", "--max-semi-space-size=1"] as const;

/**
 * NODE_OPTIONS per function. verifyDeployment allocates a few short-lived objects per golden row (the JSON line,
 * its protobuf Values, the encoded request, the decoded response); in 1 MiB semi-spaces those scavenges took 37 %
 * of its CPU and promoted the rest to the old generation, so it runs with 16 MiB ones (48 MiB more at most, well
 * inside 512 MiB; docs/performance.md, "Verification memory").
 */
export const nodeOptions: Partial<Record<FunctionName, string>> = {
  verifyDeployment: "--max-semi-space-size=16",
};

/** The V8 flags an instance of `name` runs with: the heap Node derives from its memory, then its NODE_OPTIONS. */
export function instanceV8Flags(name: FunctionName): string[] {
  return [...instanceHeapFlags, ...(nodeOptions[name]?.split(" ").filter(Boolean) ?? [])];
}
