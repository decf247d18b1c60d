import { createPublicKey } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type LocalGithubServer, startGithubServer } from "../../local/github/index.js";
import { newGithubAppKey } from "../../local/servers.js";
import { ConfigError, UpstreamError } from "../../shared/errors.js";
import { githubAppClient } from "../../shared/github/app-client.js";
import { appKeySource } from "../../shared/github/app-key.js";
import { OctokitGithub } from "../../shared/github/octokit-github.js";

const repository = "acme/fraud-detector";
const key = newGithubAppKey();
const app = { id: 42, installationId: 7 };
let server: LocalGithubServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: { appId?: number; now?: () => number } = {}) {
  server = await startGithubServer({
    app: {
      id: options.appId ?? app.id,
      installationId: app.installationId,
      publicKey: createPublicKey(key).export({ type: "spki", format: "pem" }).toString(),
    },
    ...(options.now ? { now: options.now } : {}),
  });
  return server;
}

function clientFor(url: string, privateKey = key) {
  return new OctokitGithub(
    githubAppClient({
      apiUrl: url,
      appId: app.id,
      installationId: app.installationId,
      privateKey: async () => privateKey,
    }),
  );
}

describe("the local GitHub stand-in through octokit, as the App's installation", () => {
  it("serves a file's contents per commit, branch and tag, and null where the path does not exist", async () => {
    const { url, state } = await start();
    const first = state.addCommit(repository, {
      files: { "modelgate.releases.yaml": "releases: {}\n" },
      branch: "main",
    });
    const second = state.addCommit(repository, {
      files: { "modelgate.releases.yaml": "releases:\n  fraud-detector: {}\n" },
      parent: first,
      inherit: true,
      branch: "main",
    });
    state.tag(repository, "promote/fraud-detector/v1", first);
    const github = clientFor(url);
    expect(await github.readFile(repository, "modelgate.releases.yaml", first, 1024)).toBe("releases: {}\n");
    expect(await github.readFile(repository, "modelgate.releases.yaml", second, 1024)).toContain(
      "fraud-detector",
    );
    expect(await github.readFile(repository, "missing.yaml", second, 1024)).toBeNull();
    await expect(github.readFile(repository, "modelgate.releases.yaml", second, 8)).rejects.toThrow(
      /at most 8/,
    );
    expect(await github.resolveCommit(repository, "promote/fraud-detector/v1")).toBe(first);
    expect(await github.resolveCommit(repository, "main")).toBe(second);
    expect(await github.resolveCommit(repository, second.slice(0, 7))).toBe(second);
    expect(await github.resolveCommit(repository, "promote/fraud-detector/v9")).toBeNull();
    // One token for all of it: the JWT is traded once.
    expect(server?.calls.filter((c) => c.path.startsWith("/app/")).map((c) => c.status)).toEqual([201]);
  });

  it("names the author, the merged pull request, who merged it and who approved it (latest verdict counts)", async () => {
    const { url, state } = await start();
    const merge = state.addCommit(repository, { files: { a: "1" }, author: { login: "octocat" } });
    state.addMergedPull(repository, {
      author: "octocat",
      mergedBy: "hubot",
      mergeCommitSha: merge,
      reviews: [
        { user: "monalisa", state: "APPROVED", submittedAt: "2026-01-01T00:00:00Z" },
        { user: "monalisa", state: "COMMENTED", submittedAt: "2026-01-01T00:01:00Z" },
        { user: "defunkt", state: "APPROVED", submittedAt: "2026-01-01T00:00:00Z" },
        { user: "defunkt", state: "CHANGES_REQUESTED", submittedAt: "2026-01-01T00:02:00Z" },
      ],
    });
    expect(await clientFor(url).provenance(repository, merge)).toEqual({
      author: "octocat",
      pullRequest: { number: 1, mergedBy: "hubot", approvers: ["monalisa"] },
    });
  });

  it("records commit statuses", async () => {
    const { url, state } = await start();
    const sha = state.addCommit(repository, { files: {} });
    await clientFor(url).setStatus(repository, sha, {
      state: "pending",
      context: "modelgate/release/fraud-detector",
      description: "applying",
      targetUrl: "https://example.com/r",
    });
    expect(state.statuses).toMatchObject([
      {
        repository,
        sha,
        state: "pending",
        context: "modelgate/release/fraud-detector",
        targetUrl: "https://example.com/r",
      },
    ]);
  });

  it.each([
    ["signed by another key", () => start(), newGithubAppKey()],
    ["for another App", () => start({ appId: 43 }), key],
    // The server's clock is 11 minutes ahead: the ten-minute JWT has expired when it arrives.
    ["expired", () => start({ now: () => Date.now() + 11 * 60_000 }), key],
  ])("refuses an App JWT %s: no token, no repository call", async (_name, begin, privateKey) => {
    const { url, state } = await begin();
    state.addCommit(repository, { files: { a: "1" }, branch: "main" });
    const failed = clientFor(url, privateKey).readFile(repository, "a", "main", 1024);
    await expect(failed).rejects.toBeInstanceOf(UpstreamError);
    await expect(failed).rejects.toThrow(/401/);
    expect(server?.calls.map((c) => [c.path, c.status])).toEqual([
      ["/app/installations/7/access_tokens", 401],
    ]);
  });

  it.each([
    ["no credentials", undefined],
    ["a made-up token", "token ghs_madeup"],
  ])("requires an installation token on repository calls: %s is 401", async (_name, authorization) => {
    const { url, state } = await start();
    state.addCommit(repository, { files: { a: "1" }, branch: "main" });
    const response = await fetch(`${url}/repos/${repository}/contents/a?ref=main`, {
      headers: authorization ? { authorization } : {},
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: "Bad credentials" });
  });
});

describe("the App key's configuration", () => {
  it.each([
    ["no key", {}, /GITHUB_APP_PRIVATE_KEY_FILE \(or GITHUB_APP_PRIVATE_KEY locally\) is not set/],
    [
      "text that is no key",
      { GITHUB_APP_PRIVATE_KEY: "not a key" },
      /GITHUB_APP_PRIVATE_KEY is not the GitHub App's private key/,
    ],
    ["a key and a key file", { GITHUB_APP_PRIVATE_KEY: key, GITHUB_APP_PRIVATE_KEY_FILE: "/k" }, /both set/],
  ])("refuses %s, naming the variable", (_name, env: Record<string, string>, message) => {
    expect(() => appKeySource(env)).toThrow(ConfigError);
    expect(() => appKeySource(env)).toThrow(message);
  });

  it("names the file when the mounted key cannot be read", async () => {
    await expect(appKeySource({ GITHUB_APP_PRIVATE_KEY_FILE: "/nonexistent/key.pem" })()).rejects.toThrow(
      /GITHUB_APP_PRIVATE_KEY_FILE names \/nonexistent\/key.pem/,
    );
  });
});
