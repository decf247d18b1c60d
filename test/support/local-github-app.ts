import { createPublicKey } from "node:crypto";
import { afterEach } from "vitest";
import { type LocalGithubServer, startGithubServer } from "../../local/github/index.js";
import { newGithubAppKey } from "../../local/servers.js";
import { githubAppClient } from "../../shared/github/app-client.js";
import { OctokitGithub } from "../../shared/github/octokit-github.js";

/** The App the tests' local GitHub knows, and its private key. */
export const testApp = { id: 42, installationId: 7 };
export const testAppKey = newGithubAppKey();

/**
 * Starts a local GitHub stand-in for the App per call, with an octokit client as the App's installation; every
 * server started is closed after each test.
 */
export function localGithubPerTest(): () => Promise<{ server: LocalGithubServer; github: OctokitGithub }> {
  const started: LocalGithubServer[] = [];
  afterEach(async () => {
    for (const server of started.splice(0)) await server.close();
  });
  return async () => {
    const server = await startGithubServer({
      app: {
        ...testApp,
        publicKey: createPublicKey(testAppKey).export({ type: "spki", format: "pem" }).toString(),
      },
    });
    started.push(server);
    const github = new OctokitGithub(
      githubAppClient({
        apiUrl: server.url,
        appId: testApp.id,
        installationId: testApp.installationId,
        privateKey: async () => testAppKey,
      }),
    );
    return { server, github };
  };
}
