import { createHash } from "node:crypto";
import { LocalDeployments } from "./deployments.js";

/** A commit the stand-in serves: its tree (path → text), author and pull request. */
export interface LocalCommit {
  sha: string;
  message: string;
  author: { name: string; email: string; login?: string; date: string };
  parents: string[];
  files: ReadonlyMap<string, string>;
}

export interface LocalPull {
  number: number;
  title: string;
  author: string;
  mergedBy?: string | undefined;
  /** The commit the pull request was merged as. */
  mergeCommitSha: string;
  mergedAt: string;
  reviews: Array<{
    user: string;
    state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED";
    submittedAt: string;
  }>;
}

export interface LocalStatus {
  id: number;
  repository: string;
  sha: string;
  state: "error" | "failure" | "pending" | "success";
  context: string;
  description?: string;
  targetUrl?: string;
  createdAt: string;
}

interface LocalRepository {
  commits: Map<string, LocalCommit>;
  /** Branches and tags: `heads/<name>`, `tags/<name>` → sha. */
  refs: Map<string, string>;
  pulls: LocalPull[];
}

/** What a seeded commit needs; the SHA is derived from the content unless given. */
export interface CommitSeed {
  files: Record<string, string | null>;
  message?: string | undefined;
  author?: { name?: string | undefined; email?: string | undefined; login?: string } | undefined;
  parent?: string | undefined;
  /** Start from the parent's tree and change only `files` (a value of null removes the path). */
  inherit?: boolean | undefined;
  sha?: string | undefined;
  branch?: string | undefined;
}

/**
 * The repositories the local GitHub serves: commits with their trees, branches and tags, merged pull requests with
 * reviews, and the commit statuses and deployments written. Tests and the CLI's simulated push seed it; the server reads it.
 */
export class LocalGithubState {
  private readonly repositories = new Map<string, LocalRepository>();
  readonly statuses: LocalStatus[] = [];
  readonly deployments = new LocalDeployments();
  private counter = 0;

  private repository(name: string): LocalRepository {
    const key = name.toLowerCase();
    let found = this.repositories.get(key);
    if (!found) {
      found = { commits: new Map(), refs: new Map(), pulls: [] };
      this.repositories.set(key, found);
    }
    return found;
  }

  /** Adds a commit (on `branch` when given) and returns its SHA. */
  addCommit(repository: string, seed: CommitSeed): string {
    const repo = this.repository(repository);
    const base = seed.inherit && seed.parent ? repo.commits.get(seed.parent)?.files : undefined;
    const files = new Map(base ?? []);
    for (const [path, text] of Object.entries(seed.files)) {
      if (text === null) files.delete(path);
      else files.set(path, text);
    }
    this.counter += 1;
    const sha =
      seed.sha ??
      createHash("sha1")
        .update(JSON.stringify([repository, seed.parent ?? "", [...files], seed.message ?? "", this.counter]))
        .digest("hex");
    repo.commits.set(sha, {
      sha,
      message: seed.message ?? "a commit",
      author: {
        name: seed.author?.name ?? seed.author?.login ?? "Mona Lisa",
        email: seed.author?.email ?? "mona@example.com",
        ...(seed.author?.login ? { login: seed.author.login } : {}),
        date: new Date().toISOString(),
      },
      parents: seed.parent ? [seed.parent] : [],
      files,
    });
    if (seed.branch) repo.refs.set(`heads/${seed.branch}`, sha);
    return sha;
  }

  /** Points a tag at a commit. */
  tag(repository: string, name: string, sha: string): void {
    this.repository(repository).refs.set(`tags/${name}`, sha);
  }

  /** Records a merged pull request (merged as `mergeCommitSha`) with its reviews; returns its number. */
  addMergedPull(
    repository: string,
    pull: Omit<LocalPull, "number" | "mergedAt" | "title"> & { title?: string },
  ) {
    const repo = this.repository(repository);
    const number = repo.pulls.length + 1;
    repo.pulls.push({ title: `pull ${number}`, ...pull, number, mergedAt: new Date().toISOString() });
    return number;
  }

  /** A commit by SHA (full, or an abbreviation of at least 7), branch or tag name. */
  commit(repository: string, ref: string): LocalCommit | undefined {
    const repo = this.repositories.get(repository.toLowerCase());
    if (!repo) return undefined;
    const byRef = repo.refs.get(`heads/${ref}`) ?? repo.refs.get(`tags/${ref}`) ?? repo.refs.get(ref);
    if (byRef) return repo.commits.get(byRef);
    if (!/^[0-9a-f]{7,40}$/.test(ref)) return undefined;
    const matches = [...repo.commits.values()].filter((c) => c.sha.startsWith(ref));
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** The pull requests a commit belongs to (here: the ones merged as it). */
  pullsOf(repository: string, sha: string): LocalPull[] {
    return (this.repositories.get(repository.toLowerCase())?.pulls ?? []).filter(
      (p) => p.mergeCommitSha === sha,
    );
  }

  pull(repository: string, number: number): LocalPull | undefined {
    return this.repositories.get(repository.toLowerCase())?.pulls.find((p) => p.number === number);
  }

  hasRepository(repository: string): boolean {
    return this.repositories.has(repository.toLowerCase());
  }

  /** Records a commit status, as GitHub keeps them: newest last. */
  addStatus(status: Omit<LocalStatus, "id" | "createdAt">): LocalStatus {
    const stored = { ...status, id: this.statuses.length + 1, createdAt: new Date().toISOString() };
    this.statuses.push(stored);
    return stored;
  }
}
