import { randomBytes, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

export interface PushSpec {
  repository: string;
  ref: string;
  commit: string;
  /** Paths the pushed commit touched (for a branch push). */
  modified?: string[];
  sender?: string;
  message?: string;
}

/** A GitHub `push` delivery body in the documented shape, enough for a real receiver to route it. */
export function pushPayload(spec: PushSpec): Record<string, unknown> {
  const [owner = "", name = ""] = spec.repository.split("/");
  const isTag = spec.ref.startsWith("refs/tags/");
  const sender = { login: spec.sender ?? "modelgate-demo", id: 1, type: "User" };
  const commit = {
    id: spec.commit,
    tree_id: randomHex(40),
    message: spec.message ?? "modelgate demo commit",
    timestamp: new Date().toISOString(),
    author: { name: sender.login, email: `${sender.login}@example.com`, username: sender.login },
    committer: { name: sender.login, email: `${sender.login}@example.com`, username: sender.login },
    added: [],
    removed: [],
    modified: spec.modified ?? [],
  };
  return {
    ref: spec.ref,
    before: isTag ? "0".repeat(40) : randomHex(40),
    after: spec.commit,
    created: isTag,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/${spec.repository}/compare/${spec.commit.slice(0, 12)}`,
    commits: isTag ? [] : [commit],
    head_commit: commit,
    repository: {
      id: 1,
      name,
      full_name: spec.repository,
      owner: { login: owner, name: owner },
      default_branch: "main",
      master_branch: "main",
      private: true,
      // GitHub's time of the push, Unix seconds: how old a promotion tag push is.
      pushed_at: Math.floor(Date.now() / 1000),
    },
    pusher: { name: sender.login, email: `${sender.login}@example.com` },
    sender,
  };
}

/** Sends a signed GitHub delivery to a webhook URL, as GitHub does; resolves with the status and JSON body. */
export async function deliverGithubEvent(
  url: string,
  secret: string,
  event: string,
  payload: unknown,
  deliveryId: string = randomUUID(),
): Promise<{ status: number; body: unknown; deliveryId: string }> {
  const body = JSON.stringify(payload);
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/modelgate-demo",
      "x-github-event": event,
      "x-github-delivery": deliveryId,
      "x-github-hook-id": "1",
      "x-hub-signature-256": await sign(secret, body),
    },
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Keep the text: a proxy or a crash may answer in HTML.
  }
  return { status: response.status, body: parsed, deliveryId };
}

/** A random lowercase hex string, such as a fake commit SHA. */
export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString("hex")
    .slice(0, length);
}

/**
 * Seeds the local GitHub stand-in (`MODELGATE_GITHUB_API_URL` of `npm start`) with a commit of `files` on `branch`,
 * merged through a pull request `approvers` approved, as a releases change would be; resolves with its SHA.
 */
export async function seedLocalGithubCommit(
  apiUrl: string,
  repository: string,
  spec: { files: Record<string, string>; branch?: string; author?: string; approvers?: string[] },
): Promise<string> {
  const post = async (kind: string, body: unknown) => {
    const response = await fetch(`${apiUrl}/_local/repos/${repository}/${kind}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (response.status !== 201)
      throw new Error(`the local GitHub refused the ${kind}: ${String(answer.message)}`);
    return answer;
  };
  const author = spec.author ?? "modelgate-demo";
  const { sha } = await post("commits", {
    files: spec.files,
    branch: spec.branch ?? "main",
    author: { login: author },
  });
  await post("pulls", { author, mergedBy: author, mergeCommitSha: sha, approvers: spec.approvers ?? [] });
  return String(sha);
}
