import { z } from "zod";
import { FullCommitSha, RepositoryName } from "../../shared/names.js";
import { issuesToText } from "../../shared/zod-issues.js";
import type { GithubResponse } from "./routes.js";
import type { LocalGithubState } from "./state.js";

/**
 * The stand-in's own routes under `/_local/`, not GitHub's: how a process other than the one that started it (the
 * CLI's simulated push against `npm start`) seeds commits, tags and merged pull requests. Loopback only, as the
 * whole server is.
 */
const Login = z.string().min(1).max(39);
const CommitSeedBody = z.strictObject({
  files: z.record(
    z.string().min(1).max(1024),
    z
      .string()
      .max(64 * 1024)
      .nullable(),
  ),
  message: z.string().max(1024).optional(),
  author: z.strictObject({ login: Login }).optional(),
  parent: FullCommitSha.optional(),
  inherit: z.boolean().optional(),
  branch: z.string().min(1).max(255).optional(),
});
const PullSeedBody = z.strictObject({
  author: Login,
  mergedBy: Login.optional(),
  mergeCommitSha: FullCommitSha,
  approvers: z.array(Login).max(100).default([]),
});
const TagSeedBody = z.strictObject({ name: z.string().min(1).max(255), sha: FullCommitSha });

const seedPath = /^\/_local\/repos\/([^/]+\/[^/]+)\/(commits|pulls|tags)$/;

/** Answers a `/_local/` request, or undefined when the path is not one of them. */
export function handleSeed(
  state: LocalGithubState,
  method: string,
  path: string,
  body: unknown,
): GithubResponse | undefined {
  if (method === "GET" && path === "/_local/statuses") return { status: 200, body: state.statuses };
  if (method === "GET" && path === "/_local/deployments") return { status: 200, body: state.deployments.all };
  const match = seedPath.exec(path);
  if (!match || method !== "POST") return undefined;
  const [, repository = "", kind] = match;
  if (!RepositoryName.safeParse(repository).success)
    return { status: 400, body: { message: "not owner/name" } };
  const parsed = (
    kind === "commits" ? CommitSeedBody : kind === "pulls" ? PullSeedBody : TagSeedBody
  ).safeParse(body);
  if (!parsed.success) return { status: 422, body: { message: issuesToText(parsed.error) } };
  if (kind === "commits") {
    const seed = parsed.data as z.infer<typeof CommitSeedBody>;
    return { status: 201, body: { sha: state.addCommit(repository, { ...seed, files: seed.files }) } };
  }
  if (kind === "tags") {
    const { name, sha } = parsed.data as z.infer<typeof TagSeedBody>;
    state.tag(repository, name, sha);
    return { status: 201, body: { name, sha } };
  }
  const { approvers, ...pull } = parsed.data as z.infer<typeof PullSeedBody>;
  const submittedAt = new Date().toISOString();
  const reviews = approvers.map((user) => ({ user, state: "APPROVED" as const, submittedAt }));
  return { status: 201, body: { number: state.addMergedPull(repository, { ...pull, reviews }) } };
}
