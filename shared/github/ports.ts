/** A merged pull request that brought a commit, with who merged and who approved it. */
export interface PullRequestProvenance {
  number: number;
  mergedBy?: string;
  approvers: string[];
}

/** Who made a commit and which merged pull request brought it, as far as GitHub knows. */
export interface CommitProvenance {
  /** The author's GitHub login, else the git author name. */
  author?: string;
  pullRequest?: PullRequestProvenance;
}

/** What modelgate reads from a repository on GitHub. */
export interface GithubRepositories {
  /**
   * A file's text at a commit, or null when the path does not exist there. Larger than `maxBytes`, or not a file:
   * a ValidationError.
   */
  readFile(repository: string, path: string, commit: string, maxBytes: number): Promise<string | null>;
  /** The full SHA a branch, tag or SHA names, or null when it names no commit. */
  resolveCommit(repository: string, ref: string): Promise<string | null>;
  provenance(repository: string, commit: string): Promise<CommitProvenance>;
}

export type CommitStatusState = "pending" | "success" | "failure" | "error";

/** A commit status as GitHub shows it beside the commit. */
export interface CommitStatus {
  state: CommitStatusState;
  /** Which check this is (`modelgate/release/<model>`); a later status of the same context replaces it. */
  context: string;
  description: string;
  targetUrl?: string;
}

/** What modelgate writes to GitHub. */
export interface CommitStatuses {
  setStatus(repository: string, commit: string, status: CommitStatus): Promise<void>;
}

/** The states of a GitHub deployment status (shared/contracts.ts DeploymentState). */
export type DeploymentStatusState = "queued" | "in_progress" | "success" | "failure" | "error" | "inactive";

/** Which GitHub deployment a status belongs to: one per rollout of a commit to an environment. */
export interface DeploymentTarget {
  /** The environment: the endpoint's name. */
  environment: string;
  /** GitHub's `task`: `deploy:<model>`, so two models' rollouts to one endpoint stay apart. */
  task: string;
  /** The rollout's correlation id, kept in the deployment's payload: how its later statuses find it. */
  rollout: string;
  description: string;
}

export interface DeploymentStatus {
  state: DeploymentStatusState;
  description: string;
  logUrl?: string;
}

/** What became of a deployment status: written, or left out because the deployment is already further on. */
export interface DeploymentStatusResult {
  deploymentId: number;
  created: boolean;
  written: boolean;
  /** The deployment's latest state when the status was left out. */
  latest?: string;
}

/** GitHub Deployments, as modelgate reports its rollouts. */
export interface GithubDeployments {
  setDeploymentStatus(
    repository: string,
    commit: string,
    target: DeploymentTarget,
    status: DeploymentStatus,
  ): Promise<DeploymentStatusResult>;
}
