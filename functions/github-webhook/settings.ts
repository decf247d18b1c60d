import { secretList } from "../../shared/ingress/env.js";

/** githubWebhook's own settings, read from the environment in this one place. */
export interface GithubWebhookSettings {
  /** Webhook secrets; several while one is being rotated. */
  secrets: string[];
}

/** Reads GITHUB_WEBHOOK_SECRET (required; at least 32 characters; one per line while rotating). */
export function readGithubWebhookSettings(env: Record<string, string | undefined>): GithubWebhookSettings {
  return { secrets: secretList(env, "GITHUB_WEBHOOK_SECRET", "the GitHub webhook secret") };
}
