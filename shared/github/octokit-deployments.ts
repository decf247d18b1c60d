import type { Octokit } from "@octokit/core";
import type {
  DeploymentStatus,
  DeploymentStatusResult,
  DeploymentStatusState,
  DeploymentTarget,
} from "./ports.js";

/** The states after which a deployment does not go back to queued or in_progress. */
const finalStates: readonly string[] = ["success", "failure", "error", "inactive"];

/** Deployments of one commit, environment and task listed at most: a commit is rolled out a handful of times. */
const maxDeploymentsListed = 100;

/**
 * Whether `next` may follow the deployment's latest state: nothing goes back to queued once a status is written,
 * nor to queued or in_progress once it has ended. Pub/Sub does not keep order, so a late in_progress must not
 * hide the end GitHub already shows.
 */
export function followsLatest(latest: string | undefined, next: DeploymentStatusState): boolean {
  if (latest === undefined) return true;
  if (next === "queued") return false;
  return !(next === "in_progress" && finalStates.includes(latest));
}

type Where = { owner: string; repo: string };

/**
 * The rollout's deployment: found by commit, environment and task with the rollout's id in its payload, else
 * created. GitHub's create-deployment is not idempotent, so looking first is what makes a redelivery harmless.
 */
async function findOrCreate(
  octokit: Octokit,
  where: Where,
  commit: string,
  target: DeploymentTarget,
): Promise<{ id: number; created: boolean }> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/deployments", {
    ...where,
    sha: commit,
    environment: target.environment,
    task: target.task,
    per_page: maxDeploymentsListed,
  });
  const found = data.find(
    (deployment) => typeof deployment.payload === "object" && deployment.payload?.rollout === target.rollout,
  );
  if (found) return { id: Number(found.id), created: false };
  const created = await octokit.request("POST /repos/{owner}/{repo}/deployments", {
    ...where,
    ref: commit,
    task: target.task,
    environment: target.environment,
    // A deployment of a commit as it is: no merge of the default branch into it, no wait for other checks.
    auto_merge: false,
    required_contexts: [],
    payload: { rollout: target.rollout },
    description: target.description.slice(0, 140),
  });
  const id = (created.data as { id?: unknown }).id;
  if (typeof id !== "number")
    throw new Error(`GitHub created no deployment (${JSON.stringify(created.data)})`);
  return { id, created: true };
}

/**
 * Sets a status on the rollout's deployment (creating it on first use), unless the deployment is further on.
 * `auto_inactive` (GitHub's default, said explicitly) marks the environment's earlier successful deployment
 * inactive when this one succeeds.
 */
export async function setDeploymentStatus(
  octokit: Octokit,
  where: Where,
  commit: string,
  target: DeploymentTarget,
  status: DeploymentStatus,
): Promise<DeploymentStatusResult> {
  const { id, created } = await findOrCreate(octokit, where, commit, target);
  const { data: statuses } = await octokit.request(
    "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    { ...where, deployment_id: id, per_page: 1 },
  );
  const latest = statuses[0]?.state;
  if (!followsLatest(latest, status.state)) {
    return { deploymentId: id, created, written: false, ...(latest ? { latest } : {}) };
  }
  await octokit.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
    ...where,
    deployment_id: id,
    state: status.state,
    description: status.description.slice(0, 140),
    environment: target.environment,
    auto_inactive: true,
    ...(status.logUrl ? { log_url: status.logUrl } : {}),
  });
  return { deploymentId: id, created, written: true };
}
