import type { Config } from "../config.js";
import { ConfigError } from "../errors.js";
import type { Settings } from "../settings.js";
import { githubAppClient } from "./app-client.js";
import { appKeySource } from "./app-key.js";
import { OctokitGithub } from "./octokit-github.js";

/**
 * GitHub as the configured App's installation, for a function that holds the App key (topology: Secret.githubAppKey).
 * Called from a function's index.ts with its environment: no `github.app` in the configuration, or no key, is a
 * ConfigError naming what to set.
 */
export function githubFromEnv(
  env: Record<string, string | undefined>,
  config: Config,
  settings: Pick<Settings, "githubApiUrl">,
): OctokitGithub {
  const app = config.github.app;
  if (!app) {
    throw new ConfigError(
      "github.app is not configured: set github.app.id and github.app.installationId (docs/releases.md)",
    );
  }
  return new OctokitGithub(
    githubAppClient({
      apiUrl: settings.githubApiUrl,
      appId: app.id,
      installationId: app.installationId,
      privateKey: appKeySource(env),
    }),
  );
}

/**
 * GitHub for a Pub/Sub step's index.ts, built on the first message: the package's main registers every function in
 * one process, and only the functions that declare Secret.githubAppKey have the key.
 */
export function githubOnFirstUse(
  runtime: { config: Config; settings: Pick<Settings, "githubApiUrl"> },
  env: Record<string, string | undefined>,
): () => OctokitGithub {
  let github: OctokitGithub | undefined;
  return () => {
    github ??= githubFromEnv(env, runtime.config, runtime.settings);
    return github;
  };
}
