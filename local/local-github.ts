import { createPublicKey, generateKeyPairSync } from "node:crypto";
import type { Config } from "../shared/config.js";
import { type LocalGithubServer, startGithubServer } from "./github/index.js";

/** The GitHub stand-in for the configured App (id 1, installation 1 when none is configured) and its key. */
export async function startLocalGithub(options: {
  config: Config;
  githubAppKey?: string;
  ports?: { github?: number };
  log?: (entry: Record<string, unknown>) => void;
}): Promise<{ github: LocalGithubServer; githubAppKey: string }> {
  const githubAppKey = options.githubAppKey ?? newGithubAppKey();
  const app = options.config.github.app ?? { id: 1, installationId: 1 };
  const publicKey = createPublicKey(githubAppKey).export({ type: "spki", format: "pem" }).toString();
  const github = await startGithubServer({
    app: { ...app, publicKey },
    port: options.ports?.github ?? 0,
    ...(options.log ? { log: options.log } : {}),
  });
  return { github, githubAppKey };
}

/** A new RSA key in the PKCS#1 PEM form GitHub hands out for an App. */
export function newGithubAppKey(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return privateKey.export({ type: "pkcs1", format: "pem" }).toString();
}
