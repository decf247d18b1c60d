import { type FunctionName, functions } from "./topology.js";

/**
 * The V8 flags each instance runs with, beyond its code. Terraform reads memory and NODE_OPTIONS from
 * shared/topology.ts (through modelgate.generated.json) and the benchmark runs its workers with the same V8 heap,
 * so the figures are the deployment's.
 */

/**
 * The V8 heap Node gives an instance of each memory size: it sizes the heap from the container's memory limit
 * (cgroup), and in a 512 MiB cgroup Node 20 reports a 259 MiB heap limit with 256 MiB old space and 1 MiB
 * semi-spaces. A new size is measured and added here before a function may declare it.
 */
const heapFlagsOf = {
  "512M": ["--max-old-space-size=256", "--max-semi-space-size=1"],
} as const;
export type InstanceMemory = keyof typeof heapFlagsOf;

/** The V8 flags an instance of `name` runs with: the heap Node derives from its memory, then its NODE_OPTIONS. */
export function instanceV8Flags(name: FunctionName): string[] {
  const declared = functions[name];
  return [...heapFlagsOf[declared.memory], ...declared.nodeOptions.split(" ").filter(Boolean)];
}
