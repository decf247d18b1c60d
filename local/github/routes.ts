import type { LocalAppAuth } from "./app-auth.js";
import { deploymentRoutes } from "./deployment-routes.js";
import { notFound, unprocessable, userOf } from "./responses.js";
import type { LocalCommit, LocalGithubState, LocalPull } from "./state.js";

/** A request as the routes see it: the path split from its query, the JSON body already parsed. */
export interface GithubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: unknown;
}

export interface GithubResponse {
  status: number;
  body: unknown;
}

/** Which credential a route takes: the App's JWT, or an installation token. */
export type Credential = "app-jwt" | "installation";

export interface Route {
  method: string;
  pattern: RegExp;
  credential: Credential;
  handle(match: string[], request: GithubRequest, ctx: RouteContext): GithubResponse;
}

export interface RouteContext {
  state: LocalGithubState;
  auth: LocalAppAuth;
  baseUrl: string;
}

/** GET /repos/{o}/{r}/commits/{ref}: the commit object (without its file list, which modelgate does not read). */
function commitBody(repository: string, commit: LocalCommit, baseUrl: string) {
  return {
    sha: commit.sha,
    url: `${baseUrl}/repos/${repository}/commits/${commit.sha}`,
    commit: {
      author: { name: commit.author.name, email: commit.author.email, date: commit.author.date },
      committer: { name: commit.author.name, email: commit.author.email, date: commit.author.date },
      message: commit.message,
    },
    author: commit.author.login ? userOf(commit.author.login) : null,
    committer: commit.author.login ? userOf(commit.author.login) : null,
    parents: commit.parents.map((sha) => ({ sha, url: `${baseUrl}/repos/${repository}/commits/${sha}` })),
  };
}

function pullBody(repository: string, pull: LocalPull, baseUrl: string) {
  return {
    url: `${baseUrl}/repos/${repository}/pulls/${pull.number}`,
    number: pull.number,
    state: "closed",
    title: pull.title,
    user: userOf(pull.author),
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    merged: true,
    merged_by: pull.mergedBy ? userOf(pull.mergedBy) : null,
  };
}

const statusStates = ["error", "failure", "pending", "success"] as const;

/** The REST routes modelgate calls, in GitHub's documented shapes. */
export const routes: Route[] = [
  {
    method: "POST",
    pattern: /^\/app\/installations\/(\d+)\/access_tokens$/,
    credential: "app-jwt",
    handle: ([id], _request, { auth }) => {
      if (Number(id) !== auth.app.installationId) return notFound();
      const { token, expiresAt } = auth.issueToken();
      return {
        status: 201,
        body: {
          token,
          expires_at: expiresAt,
          permissions: { contents: "read", statuses: "write", pull_requests: "read", deployments: "write" },
          repository_selection: "all",
        },
      };
    },
  },
  {
    method: "GET",
    pattern: /^\/repos\/([^/]+\/[^/]+)\/contents\/(.+)$/,
    credential: "installation",
    handle: ([repository = "", path = ""], request, { state, baseUrl }) => {
      const ref = request.query.get("ref") ?? "main";
      const commit = state.commit(repository, ref);
      if (!commit) return notFound();
      const decoded = decodeURIComponent(path);
      const text = commit.files.get(decoded);
      if (text === undefined) return notFound();
      const bytes = Buffer.from(text, "utf8");
      return {
        status: 200,
        body: {
          type: "file",
          encoding: "base64",
          size: bytes.length,
          name: decoded.split("/").at(-1),
          path: decoded,
          // GitHub wraps the base64 at 60 characters.
          content: `${bytes.toString("base64").replace(/.{60}/g, "$&\n")}\n`,
          sha: commit.sha,
          url: `${baseUrl}/repos/${repository}/contents/${path}?ref=${ref}`,
        },
      };
    },
  },
  {
    method: "GET",
    pattern: /^\/repos\/([^/]+\/[^/]+)\/commits\/([^/]+)\/pulls$/,
    credential: "installation",
    handle: ([repository = "", sha = ""], _request, { state, baseUrl }) => {
      if (!state.hasRepository(repository)) return notFound();
      const commit = state.commit(repository, sha);
      if (!commit) return unprocessable(`No commit found for SHA: ${sha}`);
      return {
        status: 200,
        body: state.pullsOf(repository, commit.sha).map((p) => pullBody(repository, p, baseUrl)),
      };
    },
  },
  {
    method: "GET",
    pattern: /^\/repos\/([^/]+\/[^/]+)\/commits\/([^/]+)$/,
    credential: "installation",
    handle: ([repository = "", ref = ""], _request, { state, baseUrl }) => {
      if (!state.hasRepository(repository)) return notFound();
      const commit = state.commit(repository, decodeURIComponent(ref));
      return commit
        ? { status: 200, body: commitBody(repository, commit, baseUrl) }
        : unprocessable(`No commit found for SHA: ${ref}`);
    },
  },
  {
    method: "GET",
    pattern: /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)$/,
    credential: "installation",
    handle: ([repository = "", number], _request, { state, baseUrl }) => {
      const pull = state.pull(repository, Number(number));
      return pull ? { status: 200, body: pullBody(repository, pull, baseUrl) } : notFound();
    },
  },
  {
    method: "GET",
    pattern: /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)\/reviews$/,
    credential: "installation",
    handle: ([repository = "", number], _request, { state }) => {
      const pull = state.pull(repository, Number(number));
      if (!pull) return notFound();
      return {
        status: 200,
        body: pull.reviews.map((review, i) => ({
          id: i + 1,
          user: userOf(review.user),
          state: review.state,
          submitted_at: review.submittedAt,
          commit_id: pull.mergeCommitSha,
        })),
      };
    },
  },
  {
    method: "POST",
    pattern: /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/,
    credential: "installation",
    handle: ([repository = "", sha = ""], request, { state }) => {
      if (!state.commit(repository, sha)) return unprocessable(`No commit found for SHA: ${sha}`);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const value = body.state;
      if (typeof value !== "string" || !(statusStates as readonly string[]).includes(value)) {
        return unprocessable(`state must be one of ${statusStates.join(", ")}`);
      }
      const text = (key: string) => (typeof body[key] === "string" ? (body[key] as string) : undefined);
      const status = state.addStatus({
        repository,
        sha,
        state: value as (typeof statusStates)[number],
        context: text("context") ?? "default",
        ...(text("description") === undefined ? {} : { description: text("description") as string }),
        ...(text("target_url") === undefined ? {} : { targetUrl: text("target_url") as string }),
      });
      return {
        status: 201,
        body: {
          id: status.id,
          state: status.state,
          description: status.description ?? null,
          target_url: status.targetUrl ?? null,
          context: status.context,
          created_at: status.createdAt,
          updated_at: status.createdAt,
        },
      };
    },
  },
  ...deploymentRoutes,
];
