import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Where `npm start` writes the addresses of the running local stack, so a second terminal finds it. */
export function stackFilePath(env: Record<string, string | undefined>): string {
  return join(env.MODELGATE_STATE_DIR ?? ".modelgate", "stack.json");
}

export interface StackFile {
  pid: number;
  env: Record<string, string>;
  urls: Record<string, string>;
}

/**
 * The environment the CLI's clients use: the caller's own, completed with the running local stack's addresses when
 * the caller names no endpoint of its own. Against Google Cloud no stack file exists and nothing is added.
 */
export function resolveCliEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const stack = readStackFile(env);
  if (!stack) return env;
  const pointsElsewhere =
    env.STORAGE_EMULATOR_HOST || env.PUBSUB_EMULATOR_HOST || env.MODELGATE_VERTEX_ENDPOINT;
  if (pointsElsewhere) return env;
  // google-auth-library reads this from process.env itself: no metadata server stands behind a local stack.
  process.env.METADATA_SERVER_DETECTION ??= "none";
  return { ...stack.env, ...env };
}

/** The running stack's file, or null when there is none or its process is gone. */
export function readStackFile(env: Record<string, string | undefined>): StackFile | null {
  const path = stackFilePath(env);
  if (!existsSync(path)) return null;
  try {
    const stack = JSON.parse(readFileSync(path, "utf8")) as StackFile;
    process.kill(stack.pid, 0);
    return stack;
  } catch {
    return null;
  }
}
