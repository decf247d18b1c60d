import type { JobServiceClient } from "@google-cloud/aiplatform/build/src/v1/job_service_client.js";
import { commonJsExports } from "../lazy-load.js";
import type { TrainingJob, TrainingJobSpec, TrainingLauncher } from "../model-ports.js";
import { labelFilter, plainMessage, type VertexLocation, VertexServiceAdapter } from "./vertex-client.js";

/** TrainingLauncher on Vertex AI's JobService (CustomJobs); the client module loads on the first call. */
export class VertexTrainingLauncher
  extends VertexServiceAdapter<JobServiceClient>
  implements TrainingLauncher
{
  constructor(private readonly location: VertexLocation) {
    super(location, async (options) => {
      const { JobServiceClient } = commonJsExports(
        await import("@google-cloud/aiplatform/build/src/v1/job_service_client.js"),
      );
      return new JobServiceClient(options);
    });
  }

  async findJobs(labels: Record<string, string>): Promise<TrainingJob[]> {
    return this.call("ListCustomJobs", async (client) => {
      const [jobs] = await client.listCustomJobs({
        parent: this.location.parent,
        filter: labelFilter(labels),
      });
      return jobs
        .map((job) => toTrainingJob(job))
        .sort((a, b) => createdAt(b.raw) - createdAt(a.raw) || (a.name < b.name ? 1 : -1));
    });
  }

  async createJob(spec: TrainingJobSpec): Promise<TrainingJob> {
    return this.call("CreateCustomJob", async (client) => {
      const [job] = await client.createCustomJob({
        parent: this.location.parent,
        customJob: {
          displayName: spec.displayName,
          labels: spec.labels,
          jobSpec: {
            workerPoolSpecs: [
              {
                machineSpec: { machineType: spec.machineType },
                replicaCount: 1,
                containerSpec: {
                  imageUri: spec.container,
                  command: spec.command,
                  args: spec.args,
                  env: Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
                },
              },
            ],
            baseOutputDirectory: { outputUriPrefix: spec.baseOutputDirectory },
            scheduling: { timeout: { seconds: spec.timeoutSeconds } },
            ...(spec.serviceAccount ? { serviceAccount: spec.serviceAccount } : {}),
          },
        },
      });
      return toTrainingJob(job);
    });
  }
}

function toTrainingJob(job: unknown): TrainingJob {
  const raw = plainMessage(job) as {
    name?: string;
    state?: string | number;
    labels?: Record<string, string>;
  };
  return {
    name: raw.name ?? "",
    state: String(raw.state ?? "JOB_STATE_UNSPECIFIED"),
    labels: raw.labels ?? {},
    raw,
  };
}

/** Milliseconds since the epoch of a job's createTime, whichever form the timestamp took (0 when absent). */
function createdAt(raw: unknown): number {
  const time = (raw as { createTime?: unknown }).createTime;
  if (typeof time === "string") return Date.parse(time) || 0;
  if (time && typeof time === "object") {
    const { seconds, nanos } = time as { seconds?: unknown; nanos?: unknown };
    return Number(seconds ?? 0) * 1000 + Math.floor(Number(nanos ?? 0) / 1e6);
  }
  return 0;
}
