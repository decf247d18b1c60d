import { deploymentStates, type LocalDeployment, type LocalDeploymentStatus } from "./deployments.js";
import { notFound, unprocessable } from "./responses.js";
import type { GithubRequest, GithubResponse, Route } from "./routes.js";
import type { LocalGithubState } from "./state.js";

const repositoryPath = "^\\/repos\\/([^/]+\\/[^/]+)\\/deployments";

function deploymentBody(d: LocalDeployment, baseUrl: string) {
  const url = `${baseUrl}/repos/${d.repository}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    environment: d.environment,
    original_environment: d.environment,
    description: d.description,
    transient_environment: d.transientEnvironment,
    production_environment: d.productionEnvironment,
    created_at: d.createdAt,
    updated_at: d.statuses.at(-1)?.createdAt ?? d.createdAt,
    statuses_url: `${url}/statuses`,
  };
}

function statusBody(d: LocalDeployment, s: LocalDeploymentStatus, baseUrl: string) {
  return {
    id: s.id,
    state: s.state,
    description: s.description,
    environment: s.environment,
    target_url: s.logUrl ?? "",
    log_url: s.logUrl ?? "",
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: `${baseUrl}/repos/${d.repository}/deployments/${d.id}`,
  };
}

type Body = Record<string, unknown>;
const text = (body: Body, key: string) => (typeof body[key] === "string" ? (body[key] as string) : undefined);
const flag = (body: Body, key: string, fallback: boolean) =>
  typeof body[key] === "boolean" ? (body[key] as boolean) : fallback;

/**
 * Without `required_contexts`, GitHub checks every context of the commit: a deployment of a commit whose latest
 * status of some context is not success is refused with 409.
 */
function failedContexts(state: LocalGithubState, repository: string, sha: string, body: Body): string[] {
  if (Array.isArray(body.required_contexts) && body.required_contexts.length === 0) return [];
  const latest = new Map<string, string>();
  for (const s of state.statuses) {
    if (s.repository.toLowerCase() === repository.toLowerCase() && s.sha === sha)
      latest.set(s.context, s.state);
  }
  const required = Array.isArray(body.required_contexts)
    ? body.required_contexts.map(String)
    : [...latest.keys()];
  return required.filter((context) => latest.get(context) !== "success");
}

function createDeployment(
  repository: string,
  request: GithubRequest,
  state: LocalGithubState,
  baseUrl: string,
) {
  const body = (request.body ?? {}) as Body;
  const ref = text(body, "ref");
  if (!ref) return unprocessable("ref is missing");
  const commit = state.commit(repository, ref);
  if (!commit) return unprocessable(`No ref found for: ${ref}`);
  const failed = failedContexts(state, repository, commit.sha, body);
  if (failed.length > 0) {
    return {
      status: 409,
      body: { message: `Conflict: Commit status checks failed for ${ref}.`, contexts: failed },
    };
  }
  const environment = text(body, "environment") ?? "production";
  const deployment = state.deployments.create({
    repository,
    sha: commit.sha,
    ref,
    task: text(body, "task") ?? "deploy",
    environment,
    payload: body.payload ?? {},
    description: text(body, "description") ?? null,
    transientEnvironment: flag(body, "transient_environment", false),
    productionEnvironment: flag(body, "production_environment", environment === "production"),
  });
  return { status: 201, body: deploymentBody(deployment, baseUrl) };
}

function createStatus(
  deployment: LocalDeployment,
  request: GithubRequest,
  state: LocalGithubState,
  baseUrl: string,
) {
  const body = (request.body ?? {}) as Body;
  const value = body.state;
  if (typeof value !== "string" || !(deploymentStates as readonly string[]).includes(value)) {
    return unprocessable(`state must be one of ${deploymentStates.join(", ")}`);
  }
  const logUrl = text(body, "log_url") ?? text(body, "target_url");
  const status = state.deployments.addStatus(
    deployment,
    {
      state: value as LocalDeploymentStatus["state"],
      description: (text(body, "description") ?? "").slice(0, 140),
      environment: text(body, "environment") ?? deployment.environment,
      ...(logUrl ? { logUrl } : {}),
    },
    flag(body, "auto_inactive", true),
  );
  return { status: 201, body: statusBody(deployment, status, baseUrl) };
}

/** `per_page` as GitHub reads it: 30 unless given, at most 100. */
function perPage(query: URLSearchParams): number {
  const n = Number(query.get("per_page") ?? 30);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 100) : 30;
}

/** GitHub Deployments: create and list deployments, create and list their statuses. */
export const deploymentRoutes: Route[] = [
  {
    method: "POST",
    pattern: new RegExp(`${repositoryPath}$`),
    credential: "installation",
    handle: ([repository = ""], request, { state, baseUrl }): GithubResponse =>
      state.hasRepository(repository) ? createDeployment(repository, request, state, baseUrl) : notFound(),
  },
  {
    method: "GET",
    pattern: new RegExp(`${repositoryPath}$`),
    credential: "installation",
    handle: ([repository = ""], { query }, { state, baseUrl }) => {
      if (!state.hasRepository(repository)) return notFound();
      const filter = Object.fromEntries(
        ["sha", "ref", "task", "environment"].flatMap((key) => {
          const value = query.get(key);
          return value === null ? [] : [[key, value]];
        }),
      );
      const found = state.deployments.list(repository, filter).slice(0, perPage(query));
      return { status: 200, body: found.map((d) => deploymentBody(d, baseUrl)) };
    },
  },
  {
    method: "POST",
    pattern: new RegExp(`${repositoryPath}\\/(\\d+)\\/statuses$`),
    credential: "installation",
    handle: ([repository = "", id], request, { state, baseUrl }) => {
      const deployment = state.deployments.find(repository, Number(id));
      return deployment ? createStatus(deployment, request, state, baseUrl) : notFound();
    },
  },
  {
    method: "GET",
    pattern: new RegExp(`${repositoryPath}\\/(\\d+)\\/statuses$`),
    credential: "installation",
    handle: ([repository = "", id], { query }, { baseUrl, state }) => {
      const deployment = state.deployments.find(repository, Number(id));
      if (!deployment) return notFound();
      const newestFirst = [...deployment.statuses].reverse().slice(0, perPage(query));
      return { status: 200, body: newestFirst.map((s) => statusBody(deployment, s, baseUrl)) };
    },
  },
];
