/** Receives one structured entry per notable event (refused request, failed push, dead letter). */
export type PubSubLog = (entry: Record<string, unknown>) => void;

/** The default log: one JSON line on stderr, only when MODELGATE_LOCAL_DEBUG is set, so tests stay quiet. */
export function defaultLog(env: NodeJS.ProcessEnv = process.env): PubSubLog {
  if (!env.MODELGATE_LOCAL_DEBUG) return () => {};
  return (entry) => {
    process.stderr.write(
      `${JSON.stringify({ component: "local-pubsub", time: new Date().toISOString(), ...entry })}\n`,
    );
  };
}
