import type { Octokit } from "@octokit/core";
import { TransientError, UpstreamError, ValidationError } from "../errors.js";
import { setDeploymentStatus } from "./octokit-deployments.js";
import type {
  CommitProvenance,
  CommitStatus,
  CommitStatuses,
  DeploymentStatus,
  DeploymentStatusResult,
  DeploymentTarget,
  GithubDeployments,
  GithubRepositories,
  PullRequestProvenance,
} from "./ports.js";

/** At most this many reviews are read per pull request: approvers beyond them are not listed. */
const maxReviews = 100;

/** The HTTP status of an octokit RequestError, or undefined for a network failure. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

/**
 * A failed GitHub call as a modelgate error: rate limits (403/429), server errors and network failures are
 * retryable (the step is redelivered with backoff); anything else is permanent, with GitHub's message.
 */
export function githubError(what: string, error: unknown): Error {
  const status = statusOf(error);
  const message = `${what}: GitHub answered ${status ?? "nothing"} (${(error as Error).message})`;
  if (status === undefined || status === 403 || status === 429 || status >= 500) {
    return new TransientError(message, { cause: error, details: { status: status ?? null } });
  }
  return new UpstreamError(message, { cause: error, details: { status } });
}

function split(repository: string): { owner: string; repo: string } {
  const [owner = "", repo = ""] = repository.split("/");
  return { owner, repo };
}

/**
 * GithubRepositories, CommitStatuses and GithubDeployments on the REST API, through an installation-authenticated
 * octokit.
 */
export class OctokitGithub implements GithubRepositories, CommitStatuses, GithubDeployments {
  constructor(private readonly client: () => Promise<Octokit>) {}

  async readFile(repository: string, path: string, commit: string, maxBytes: number): Promise<string | null> {
    const octokit = await this.client();
    let data: unknown;
    try {
      ({ data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
        ...split(repository),
        path,
        ref: commit,
      }));
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw githubError(`reading ${path} of ${repository}@${commit}`, error);
    }
    // What the repository holds at the path is input like any other: a directory or an oversized file is refused
    // as invalid (ValidationError), not as GitHub's failure.
    const file = data as { type?: string; size?: number; encoding?: string; content?: string };
    if (file.type !== "file") throw new ValidationError(`${path} of ${repository}@${commit} is not a file`);
    if ((file.size ?? 0) > maxBytes || (file.content ?? "").length > (maxBytes * 4) / 3 + 4096) {
      throw new ValidationError(
        `${path} of ${repository}@${commit} is ${file.size} bytes; at most ${maxBytes} are read`,
      );
    }
    if (file.encoding !== "base64") {
      throw new UpstreamError(`${path} of ${repository}@${commit} came as ${file.encoding}, not base64`);
    }
    return Buffer.from(file.content ?? "", "base64").toString("utf8");
  }

  async resolveCommit(repository: string, ref: string): Promise<string | null> {
    const octokit = await this.client();
    try {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}", {
        ...split(repository),
        ref,
      });
      return data.sha;
    } catch (error) {
      // GitHub answers 422 "No commit found for SHA" for a ref that names nothing, 404 for an unknown repository.
      if (statusOf(error) === 422 || statusOf(error) === 404) return null;
      throw githubError(`resolving ${ref} in ${repository}`, error);
    }
  }

  async provenance(repository: string, commit: string): Promise<CommitProvenance> {
    const octokit = await this.client();
    const where = split(repository);
    try {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}", {
        ...where,
        ref: commit,
      });
      const author = data.author?.login ?? data.commit.author?.name ?? undefined;
      const pulls = await octokit.request("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", {
        ...where,
        commit_sha: commit,
      });
      const merged = pulls.data.find((pull) => pull.merged_at && pull.merge_commit_sha === commit);
      const pullRequest = merged ? await this.pullProvenance(octokit, where, merged.number) : undefined;
      return { ...(author ? { author } : {}), ...(pullRequest ? { pullRequest } : {}) };
    } catch (error) {
      throw githubError(`reading the provenance of ${repository}@${commit}`, error);
    }
  }

  private async pullProvenance(
    octokit: Octokit,
    where: { owner: string; repo: string },
    number: number,
  ): Promise<PullRequestProvenance> {
    const [pull, reviews] = await Promise.all([
      octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { ...where, pull_number: number }),
      octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", {
        ...where,
        pull_number: number,
        per_page: maxReviews,
      }),
    ]);
    // A reviewer's latest verdict counts: an approval followed by a change request (or dismissed) is no approval;
    // a comment review changes nothing.
    const latest = new Map<string, string>();
    for (const review of reviews.data) {
      if (review.user && review.state !== "COMMENTED") latest.set(review.user.login, review.state);
    }
    const approvers = [...latest].filter(([, state]) => state === "APPROVED").map(([login]) => login);
    return { number, ...(pull.data.merged_by ? { mergedBy: pull.data.merged_by.login } : {}), approvers };
  }

  async setStatus(repository: string, commit: string, status: CommitStatus): Promise<void> {
    const octokit = await this.client();
    try {
      await octokit.request("POST /repos/{owner}/{repo}/statuses/{sha}", {
        ...split(repository),
        sha: commit,
        state: status.state,
        context: status.context,
        // GitHub keeps at most 140 characters of a description.
        description: status.description.slice(0, 140),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      });
    } catch (error) {
      throw githubError(`setting the ${status.context} status of ${repository}@${commit}`, error);
    }
  }

  async setDeploymentStatus(
    repository: string,
    commit: string,
    target: DeploymentTarget,
    status: DeploymentStatus,
  ): Promise<DeploymentStatusResult> {
    const octokit = await this.client();
    try {
      return await setDeploymentStatus(octokit, split(repository), commit, target, status);
    } catch (error) {
      throw githubError(
        `setting the ${status.state} status of ${repository}@${commit}'s deployment to ${target.environment}`,
        error,
      );
    }
  }
}
