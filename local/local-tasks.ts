import type { Config } from "../shared/config.js";
import type { Identity } from "../shared/permissions.js";
import { rolloutQueuePath } from "../shared/tasks/cloud-tasks-scheduler.js";
import { rolloutQueue } from "../shared/topology.js";
import { type LocalGrants, tasksAuthorizer } from "./identity.js";
import { type LocalTasksServer, startTasksServer } from "./tasks/index.js";

/** The rollout queue's retry policy, as Terraform gives it to the real queue. */
const rolloutRetry = {
  maxAttempts: rolloutQueue.maxAttempts,
  minBackoffMs: rolloutQueue.minBackoffSeconds * 1000,
  maxBackoffMs: rolloutQueue.maxBackoffSeconds * 1000,
};

/** The Cloud Tasks server with the configured rollout queue, enforcing the grants on each identity's port. */
export function startLocalTasks(
  config: Config,
  grants: LocalGrants,
  identities: readonly Identity[],
  log?: (entry: Record<string, unknown>) => void,
): Promise<LocalTasksServer> {
  return startTasksServer({
    queues: { [rolloutQueuePath(config)]: rolloutRetry },
    identities,
    authorize: tasksAuthorizer(grants, config.project),
    ...(log ? { log } : {}),
  });
}
