import { secretList } from "../../shared/ingress/env.js";

/** tektonEvents' own settings, read from the environment in this one place. */
export interface TektonEventsSettings {
  /** Shared tokens the authenticating forwarder sends in X-Modelgate-Token; several while rotating. */
  tokens: string[];
}

/** Reads TEKTON_SINK_TOKEN (required; at least 32 characters; one per line while rotating). */
export function readTektonEventsSettings(env: Record<string, string | undefined>): TektonEventsSettings {
  return {
    tokens: secretList(env, "TEKTON_SINK_TOKEN", "the token the Tekton forwarder sends in X-Modelgate-Token"),
  };
}
