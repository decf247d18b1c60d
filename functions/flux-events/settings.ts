import { secretSource } from "../../shared/ingress/env.js";
import type { SecretSource } from "../../shared/ingress/secret-file.js";
import { Secret } from "../../shared/topology.js";

/** fluxEvents' own settings, read from the environment in this one place. */
export interface FluxEventsSettings {
  /** The HMAC keys of the generic-hmac Provider (its Secret's `token`); several while one is being rotated. */
  secrets: SecretSource;
}

/**
 * Reads FLUX_WEBHOOK_SECRET_FILE (the mounted secret, read again while warm) or FLUX_WEBHOOK_SECRET (locally); one
 * is required, each secret at least 32 characters, one per line while rotating.
 */
export function readFluxEventsSettings(env: Record<string, string | undefined>): FluxEventsSettings {
  return {
    secrets: secretSource(
      env,
      Secret.fluxWebhookSecret.env,
      "the HMAC key of the Flux generic-hmac Provider",
    ),
  };
}

/**
 * Flux caps an event's message at 39,000 characters (up to four bytes each in UTF-8) and its metadata is a few
 * keys; 256 KiB holds any honest event with room to spare.
 */
export const fluxMaxBodyBytes = 256 * 1024;
