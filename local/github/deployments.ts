/** The states GitHub takes for a deployment status. */
export const deploymentStates = [
  "error",
  "failure",
  "inactive",
  "in_progress",
  "queued",
  "pending",
  "success",
] as const;
export type LocalDeploymentState = (typeof deploymentStates)[number];

export interface LocalDeploymentStatus {
  id: number;
  state: LocalDeploymentState;
  description: string;
  environment: string;
  logUrl?: string;
  createdAt: string;
}

/** A deployment as the stand-in keeps it, with its statuses oldest first. */
export interface LocalDeployment {
  id: number;
  repository: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  payload: unknown;
  description: string | null;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  createdAt: string;
  statuses: LocalDeploymentStatus[];
}

/** At most this many deployments are kept: the oldest go first. */
const maxDeployments = 10_000;

/**
 * The deployments created and their statuses, with GitHub's `auto_inactive`: a deployment's success marks the
 * earlier successful deployments to the same environment (not transient, not production) inactive.
 */
export class LocalDeployments {
  readonly all: LocalDeployment[] = [];
  private ids = 0;

  create(deployment: Omit<LocalDeployment, "id" | "createdAt" | "statuses">): LocalDeployment {
    this.ids += 1;
    const stored = { ...deployment, id: this.ids, createdAt: new Date().toISOString(), statuses: [] };
    this.all.push(stored);
    if (this.all.length > maxDeployments) this.all.splice(0, this.all.length - maxDeployments);
    return stored;
  }

  find(repository: string, id: number): LocalDeployment | undefined {
    return this.all.find((d) => d.id === id && d.repository.toLowerCase() === repository.toLowerCase());
  }

  /** A repository's deployments matching every filter given, newest first (as GitHub lists them). */
  list(repository: string, filter: Partial<Record<"sha" | "ref" | "task" | "environment", string>>) {
    return this.all
      .filter(
        (d) =>
          d.repository.toLowerCase() === repository.toLowerCase() &&
          (filter.sha === undefined || d.sha === filter.sha) &&
          (filter.ref === undefined || d.ref === filter.ref) &&
          (filter.task === undefined || d.task === filter.task) &&
          (filter.environment === undefined || d.environment === filter.environment),
      )
      .reverse();
  }

  addStatus(
    deployment: LocalDeployment,
    status: Omit<LocalDeploymentStatus, "id" | "createdAt">,
    autoInactive: boolean,
  ): LocalDeploymentStatus {
    const stored = this.push(deployment, status);
    if (status.state === "success" && autoInactive) {
      for (const earlier of this.all) {
        if (
          earlier.id < deployment.id &&
          earlier.repository === deployment.repository &&
          earlier.environment === status.environment &&
          !earlier.transientEnvironment &&
          !earlier.productionEnvironment &&
          earlier.statuses.some((s) => s.state === "success") &&
          earlier.statuses.at(-1)?.state !== "inactive"
        ) {
          this.push(earlier, { state: "inactive", description: "", environment: earlier.environment });
        }
      }
    }
    return stored;
  }

  private statusIds = 0;

  private push(deployment: LocalDeployment, status: Omit<LocalDeploymentStatus, "id" | "createdAt">) {
    this.statusIds += 1;
    const stored = { ...status, id: this.statusIds, createdAt: new Date().toISOString() };
    deployment.statuses.push(stored);
    return stored;
  }
}
