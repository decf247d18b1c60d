import type { CloudTasksClient } from "@google-cloud/tasks";
import type { DeploymentReady } from "../contracts.js";
import { ConfigError } from "../errors.js";
import { classifyClientError, GrpcCode } from "../grpc-errors.js";
import { permissionTable } from "../permissions.js";
import type { Runtime } from "../runtime.js";
import type { VertexEndpoint } from "../settings.js";
import { Scheduled, type StepScheduler } from "../step-scheduler.js";
import { rolloutQueue } from "../topology.js";
import { configuredEndpointOptions } from "../vertex/client-options.js";

/** Where a rollout step's task goes: the queue, the function it calls, and the identity whose token it carries. */
export interface RolloutQueueTarget {
  /** `projects/<p>/locations/<r>/queues/<id>` */
  queue: string;
  /** advanceRollout's URL (MODELGATE_ADVANCE_ROLLOUT_URL); undefined fails the first bake, naming the variable. */
  url: string | undefined;
  /** The account whose OIDC token the task presents (the rolloutTasks identity). */
  serviceAccountEmail: string;
  /** The configured Cloud Tasks endpoint; undefined → cloudtasks.googleapis.com. */
  endpoint: VertexEndpoint | undefined;
}

/** The rollout queue's full name in a project and region: `projects/P/locations/R/queues/<rolloutQueue.id>`. */
export function rolloutQueuePath(config: { project: string; region: string }): string {
  return `projects/${config.project}/locations/${config.region}/queues/${rolloutQueue.id}`;
}

/** The rollout queue of a runtime's project and region, advanceRollout's URL and the rolloutTasks account. */
export function rolloutQueueTarget(runtime: Pick<Runtime, "config" | "settings">): RolloutQueueTarget {
  const { project } = runtime.config;
  return {
    queue: rolloutQueuePath(runtime.config),
    url: runtime.settings.advanceRolloutUrl,
    serviceAccountEmail: `${permissionTable.rolloutTasks.accountId}@${project}.iam.gserviceaccount.com`,
    endpoint: runtime.settings.tasksEndpoint,
  };
}

/**
 * StepScheduler on Cloud Tasks: a task named after the step, scheduled for the end of its bake, whose HTTP target is
 * advanceRollout with the step's deployment-ready as its body and an OIDC token of the rolloutTasks account. Cloud
 * Tasks refuses a second task of a name with ALREADY_EXISTS (also for a while after it ran), which is what makes a
 * repeated advance schedule nothing new. The client loads on the first bake, once per instance.
 */
export class CloudTasksScheduler implements StepScheduler {
  private client: Promise<CloudTasksClient> | undefined;

  constructor(private readonly target: RolloutQueueTarget) {}

  async schedule(name: string, message: DeploymentReady, at: Date): Promise<Scheduled> {
    const url = this.target.url;
    if (!url) {
      throw new ConfigError("MODELGATE_ADVANCE_ROLLOUT_URL is not set: a bake needs advanceRollout's URL");
    }
    const client = await this.loadClient();
    try {
      await client.createTask({
        parent: this.target.queue,
        task: {
          name: `${this.target.queue}/tasks/${name}`,
          scheduleTime: { seconds: Math.floor(at.getTime() / 1000), nanos: (at.getTime() % 1000) * 1e6 },
          httpRequest: {
            url,
            httpMethod: "POST",
            headers: { "Content-Type": "application/json" },
            body: Buffer.from(JSON.stringify(message)),
            oidcToken: { serviceAccountEmail: this.target.serviceAccountEmail, audience: url },
          },
        },
      });
      return Scheduled.scheduled;
    } catch (error) {
      if ((error as { code?: unknown }).code === GrpcCode.ALREADY_EXISTS) return Scheduled.alreadyScheduled;
      throw classifyClientError(error, "CreateTask");
    }
  }

  /** Closes the client's channel, if it was opened. */
  async close(): Promise<void> {
    const made = this.client;
    this.client = undefined;
    if (made) await (await made).close();
  }

  private loadClient(): Promise<CloudTasksClient> {
    this.client ??= (async () => {
      const { CloudTasksClient } = await import("@google-cloud/tasks");
      const endpoint = this.target.endpoint;
      return new CloudTasksClient(endpoint ? await configuredEndpointOptions(endpoint) : {});
    })().catch((error: unknown) => {
      this.client = undefined;
      throw error;
    });
    return this.client;
  }
}
