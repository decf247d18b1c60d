import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/core";

/** The GitHub App modelgate acts as: its id, its installation on the repositories, and its key. */
export interface GithubAppAccess {
  /** The REST API base URL (Settings.githubApiUrl). */
  apiUrl: string;
  appId: number;
  installationId: number;
  /** The private key's PEM, as it is now (a mounted secret may be rotated). */
  privateKey: () => Promise<string>;
}

/**
 * An octokit client authenticated as the App's installation: octokit signs the App JWT (RS256, ten minutes), trades
 * it for an installation token and renews that before it expires. A new client is built when the key changes.
 */
export function githubAppClient(access: GithubAppAccess): () => Promise<Octokit> {
  let current: { key: string; client: Octokit } | undefined;
  return async () => {
    const key = await access.privateKey();
    if (current?.key !== key) {
      current = {
        key,
        client: new Octokit({
          baseUrl: access.apiUrl,
          authStrategy: createAppAuth,
          auth: { appId: access.appId, privateKey: key, installationId: access.installationId },
          userAgent: "modelgate",
        }),
      };
    }
    return current.client;
  };
}
