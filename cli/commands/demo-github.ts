import { setTimeout as sleep } from "node:timers/promises";
import type { LocalDeployment } from "../../local/github/deployments.js";
import type { LocalStatus } from "../../local/github/state.js";
import { randomHex, seedLocalGithubCommit } from "../github-push.js";

/** What the local GitHub recorded: deployments with their statuses, and commit statuses. */
export interface GithubRecord {
  deployments: LocalDeployment[];
  statuses: LocalStatus[];
}

/** How long the demo waits for notifyGithub to tell GitHub a rollout's end, after the chain finished. */
const settleMs = 15_000;

/**
 * The demo's commit: on the local GitHub (`MODELGATE_GITHUB_API_URL` of `npm start`) when there is one, so its
 * deployment and statuses can be set as on GitHub; a random SHA otherwise.
 */
export async function demoCommit(apiUrl: string | undefined, repository: string, label: string) {
  if (!apiUrl) return randomHex(40);
  return seedLocalGithubCommit(apiUrl, repository, { files: { "DEMO.md": `${label}\n` } });
}

async function readRecord(apiUrl: string): Promise<GithubRecord> {
  const get = async (what: string) => {
    const response = await fetch(`${apiUrl}/_local/${what}`);
    if (!response.ok) throw new Error(`the local GitHub answered ${response.status} for /_local/${what}`);
    return response.json();
  };
  return {
    deployments: (await get("deployments")) as LocalDeployment[],
    statuses: (await get("statuses")) as LocalStatus[],
  };
}

/** What GitHub would show for a commit: its deployments' statuses in order, then its commit statuses. */
export function githubView(record: GithubRecord, commit: string): string {
  const lines: string[] = [];
  for (const deployment of record.deployments.filter((d) => d.sha === commit)) {
    lines.push(`  GitHub deployment #${deployment.id} to ${deployment.environment} (${deployment.task})\n`);
    for (const status of deployment.statuses) {
      const link = status.logUrl ? `  → ${status.logUrl}` : "";
      lines.push(`    ${status.state.padEnd(11)} ${status.description}${link}\n`);
    }
  }
  for (const status of record.statuses.filter((s) => s.sha === commit)) {
    lines.push(`  commit status ${status.context}: ${status.state} — ${status.description ?? ""}\n`);
  }
  return lines.length > 0 ? lines.join("") : "  (GitHub was told nothing about this commit)\n";
}

const ended = (record: GithubRecord, commit: string) =>
  record.deployments.some(
    (d) => d.sha === commit && ["success", "failure", "error"].includes(d.statuses.at(-1)?.state ?? ""),
  );

/** Waits (briefly) for the commit's deployment to end on the local GitHub, then returns what GitHub shows. */
export async function recordedGithubView(apiUrl: string, commit: string): Promise<string> {
  const deadline = Date.now() + settleMs;
  let record = await readRecord(apiUrl);
  while (!ended(record, commit) && Date.now() < deadline) {
    await sleep(250);
    record = await readRecord(apiUrl);
  }
  return githubView(record, commit);
}
