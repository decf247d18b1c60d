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
  /** A file's text at a commit, or null when the path does not exist there; bounded to `maxBytes`. */
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
