import { secretSource } from "../../shared/ingress/env.js";
import type { SecretSource } from "../../shared/ingress/secret-file.js";

/** tektonEvents' own settings, read from the environment in this one place. */
export interface TektonEventsSettings {
  /** Shared tokens the authenticating forwarder sends in X-Modelgate-Token; several while rotating. */
  tokens: SecretSource;
}

/**
 * Reads TEKTON_SINK_TOKEN_FILE (the mounted secret, read again while warm) or TEKTON_SINK_TOKEN (locally); one is required,
 * each secret at least 32 characters, one per line while rotating.
 */
export function readTektonEventsSettings(env: Record<string, string | undefined>): TektonEventsSettings {
  return {
    tokens: secretSource(
      env,
      "TEKTON_SINK_TOKEN",
      "the token the Tekton forwarder sends in X-Modelgate-Token",
    ),
  };
}

/** A run object fits in etcd (about 1.5 MB); roughly ten times that is not a Tekton event. */
export const tektonMaxBodyBytes = 16 * 1024 * 1024;
