/** A structured log sink: one entry per call. */
export type StorageLog = (entry: Record<string, unknown>) => void;

/** Default sink: one JSON line on stderr, only when MODELGATE_LOCAL_DEBUG is set, so tests stay quiet. */
export function defaultLog(env: NodeJS.ProcessEnv = process.env): StorageLog {
  return (entry) => {
    if (!env.MODELGATE_LOCAL_DEBUG) return;
    process.stderr.write(`${JSON.stringify({ component: "local-storage", ...entry })}\n`);
  };
}
