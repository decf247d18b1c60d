import { secretSource } from "../../shared/ingress/env.js";
import type { SecretSource } from "../../shared/ingress/secret-file.js";

/** githubWebhook's own settings, read from the environment in this one place. */
export interface GithubWebhookSettings {
  /** Webhook secrets; several while one is being rotated. */
  secrets: SecretSource;
}

/**
 * Reads GITHUB_WEBHOOK_SECRET_FILE (the mounted secret, read again while warm) or GITHUB_WEBHOOK_SECRET (locally); one is required,
 * each secret at least 32 characters, one per line while rotating.
 */
export function readGithubWebhookSettings(env: Record<string, string | undefined>): GithubWebhookSettings {
  return { secrets: secretSource(env, "GITHUB_WEBHOOK_SECRET", "the GitHub webhook secret") };
}

/** GitHub caps webhook payloads at 25 MB and does not deliver larger ones; anything bigger is not from GitHub. */
export const githubMaxPayloadBytes = 25 * 1024 * 1024;
