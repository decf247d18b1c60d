import { failedPrecondition, invalidArgument, notFound } from "./errors.js";
import type { FaultInjector } from "./fault-injector.js";
import { type RunningProcess, runTrainerProcess, type TrainerCommand } from "./job-runner.js";
import { filteredPage } from "./list-filter.js";
import type { CustomJob, WorkerPoolSpec } from "./messages.js";
import type { LocationScope } from "./resource-names.js";
import { timestamp } from "./timestamps.js";

const terminalStates = new Set(["JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"]);

/** What the job store needs from the server. */
export interface CustomJobDeps {
  scope: LocationScope;
  trainers: Record<string, TrainerCommand>;
  storageApiEndpoint: string;
  faults: FaultInjector;
  /** How long a job stays PENDING before its process starts. */
  startDelayMs: number;
  log: (entry: Record<string, unknown>) => void;
}

/**
 * JobService's custom jobs: each runs its first worker pool's container as a local process
 * (image → command from `trainers`) with the environment Vertex AI gives a training container.
 */
export class CustomJobStore {
  private readonly jobs = new Map<string, CustomJob>();
  private readonly processes = new Map<string, RunningProcess>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sequence = 0;

  constructor(private readonly deps: CustomJobDeps) {}

  create(request: { parent?: string; customJob?: Partial<CustomJob> }): CustomJob {
    const parent = this.deps.scope.checkParent(request.parent);
    const input = request.customJob;
    if (!input) throw invalidArgument("Field `custom_job` is required.");
    if (!input.displayName) throw invalidArgument("Field `custom_job.display_name` is required.");
    const pools = input.jobSpec?.workerPoolSpecs ?? [];
    if (pools.length === 0) {
      throw invalidArgument(
        "Field `custom_job.job_spec.worker_pool_specs` must contain at least one worker pool.",
      );
    }
    pools.forEach(validatePool);
    const prefix = input.jobSpec?.baseOutputDirectory?.outputUriPrefix;
    if (prefix !== undefined && prefix !== "" && !/^gs:\/\/[^/]+/.test(prefix)) {
      throw invalidArgument(
        `Field \`custom_job.job_spec.base_output_directory.output_uri_prefix\` must be a gs:// URI, got \`${prefix}\`.`,
      );
    }
    this.sequence += 1;
    const id = String(7_000_000_000 + this.sequence);
    const now = timestamp();
    const job: CustomJob = {
      ...input,
      name: `${parent}/customJobs/${id}`,
      displayName: input.displayName,
      jobSpec: input.jobSpec ?? {},
      labels: input.labels ?? {},
      state: "JOB_STATE_PENDING",
      createTime: now,
      updateTime: now,
    };
    this.jobs.set(job.name, job);
    this.later(() => this.start(job, id));
    return job;
  }

  get(request: { name?: string }): CustomJob {
    const { name } = this.deps.scope.parse(request.name, "customJobs", "CustomJob");
    const job = this.jobs.get(name);
    if (!job) throw notFound(`CustomJob \`${name}\` not found.`);
    return job;
  }

  list(request: { parent?: string; filter?: string; pageSize?: number; pageToken?: string }): {
    customJobs: CustomJob[];
    nextPageToken: string;
  } {
    const parent = this.deps.scope.checkParent(request.parent);
    const inParent = [...this.jobs.values()].filter((job) => job.name.startsWith(`${parent}/`));
    const page = filteredPage(inParent, request, ["state", "display_name"], (job, field) =>
      field === "state" ? job.state : job.displayName,
    );
    return { customJobs: page.items, nextPageToken: page.nextPageToken };
  }

  cancel(request: { name?: string }): Record<string, never> {
    const job = this.get(request);
    if (terminalStates.has(job.state) || job.state === "JOB_STATE_CANCELLING") {
      throw failedPrecondition(`CustomJob \`${job.name}\` cannot be cancelled in state ${job.state}.`);
    }
    this.setState(job, "JOB_STATE_CANCELLING");
    const running = this.processes.get(job.name);
    if (running) running.kill();
    else this.later(() => this.finishCancelled(job));
    return {};
  }

  /** Kills every running training process and waits for them to exit. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const running = [...this.processes.values()];
    for (const process of running) process.kill(500);
    await Promise.all(running.map((process) => process.outcome));
  }

  private start(job: CustomJob, id: string): void {
    if (job.state !== "JOB_STATE_PENDING") return;
    const pool = job.jobSpec.workerPoolSpecs?.[0] as WorkerPoolSpec;
    const imageUri = pool.containerSpec?.imageUri ?? "";
    const injected = this.deps.faults.takeJobFailure(job.displayName, job.labels ?? {});
    if (injected !== undefined) {
      this.finish(job, "JOB_STATE_FAILED", { code: 13, message: injected });
      return;
    }
    const trainer = this.deps.trainers[imageUri];
    if (!trainer) {
      this.finish(job, "JOB_STATE_FAILED", {
        code: 3,
        message: `No local trainer is registered for container image \`${imageUri}\` (VertexServerOptions.trainers); known images: ${
          Object.keys(this.deps.trainers).join(", ") || "none"
        }.`,
      });
      return;
    }
    if (pool.containerSpec?.command?.length) {
      this.deps.log({
        event: "custom-job-command-ignored",
        job: job.name,
        reason:
          "containerSpec.command overrides a container entrypoint; locally the trainers mapping's command runs",
      });
    }
    job.startTime = timestamp();
    this.setState(job, "JOB_STATE_RUNNING");
    let running: RunningProcess;
    try {
      running = runTrainerProcess(trainer, pool.containerSpec?.args ?? [], this.environment(job, id, pool));
    } catch (error) {
      this.finish(job, "JOB_STATE_FAILED", {
        code: 13,
        message: `Could not start the trainer: ${String(error)}`,
      });
      return;
    }
    this.processes.set(job.name, running);
    this.deps.log({ event: "custom-job-started", job: job.name, imageUri, pid: running.pid });
    void running.outcome.then((outcome) => {
      this.processes.delete(job.name);
      if (job.state === "JOB_STATE_CANCELLING") return this.finishCancelled(job);
      if (outcome.exitCode === 0) return this.finish(job, "JOB_STATE_SUCCEEDED");
      const status = outcome.spawnError
        ? `could not be started: ${outcome.spawnError}`
        : outcome.signal
          ? `was killed by signal ${outcome.signal}`
          : `exited with a non-zero status of ${outcome.exitCode}`;
      const tail = outcome.stderrTail.trim();
      this.finish(job, "JOB_STATE_FAILED", {
        code: 3,
        message: `The replica workerpool0-0 ${status}.${tail ? ` Last lines of stderr:\n${tail}` : ""}`,
      });
    });
  }

  private environment(job: CustomJob, id: string, pool: WorkerPoolSpec): Record<string, string> {
    const env: Record<string, string> = {};
    for (const { name, value } of pool.containerSpec?.env ?? []) if (name) env[name] = value ?? "";
    const prefix = job.jobSpec.baseOutputDirectory?.outputUriPrefix;
    if (prefix) {
      const base = prefix.replace(/\/+$/, "");
      env.AIP_MODEL_DIR = `${base}/model/`;
      env.AIP_CHECKPOINT_DIR = `${base}/checkpoints/`;
      env.AIP_TENSORBOARD_LOG_DIR = `${base}/logs/`;
    }
    env.CLOUD_ML_JOB_ID = id;
    env.CLOUD_ML_PROJECT_ID = this.deps.scope.project;
    env.CLOUD_ML_REGION = this.deps.scope.location;
    // The process's own @google-cloud/storage client reaches the local bucket, without auth.
    env.STORAGE_EMULATOR_HOST = this.deps.storageApiEndpoint;
    env.GOOGLE_CLOUD_PROJECT = this.deps.scope.project;
    return env;
  }

  private finishCancelled(job: CustomJob): void {
    this.finish(job, "JOB_STATE_CANCELLED", { code: 1, message: "CANCELED" });
  }

  private finish(job: CustomJob, state: string, error?: { code: number; message: string }): void {
    job.endTime = timestamp();
    if (error) job.error = error;
    this.setState(job, state);
    this.deps.log({ event: "custom-job-finished", job: job.name, state, ...(error ? { error } : {}) });
  }

  private setState(job: CustomJob, state: string): void {
    job.state = state;
    job.updateTime = timestamp();
  }

  private later(fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.deps.startDelayMs);
    this.timers.add(timer);
  }
}

function validatePool(pool: WorkerPoolSpec, index: number): void {
  const at = `custom_job.job_spec.worker_pool_specs[${index}]`;
  if (!pool.containerSpec?.imageUri) {
    throw invalidArgument(
      pool.pythonPackageSpec
        ? `Field \`${at}.python_package_spec\` is not supported by the local server; use container_spec.`
        : `Field \`${at}.container_spec.image_uri\` is required.`,
    );
  }
  if (!pool.machineSpec?.machineType)
    throw invalidArgument(`Field \`${at}.machine_spec.machine_type\` is required.`);
  if (index === 0 && pool.replicaCount !== undefined && String(pool.replicaCount) !== "1") {
    throw invalidArgument(`Field \`${at}.replica_count\` must be 1 for the first (chief) worker pool.`);
  }
}
