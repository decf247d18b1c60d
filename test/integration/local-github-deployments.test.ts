import { describe, expect, it } from "vitest";
import type { LocalGithubServer } from "../../local/github/index.js";
import { UpstreamError } from "../../shared/errors.js";
import { githubAppClient } from "../../shared/github/app-client.js";
import type { DeploymentStatus, GithubDeployments } from "../../shared/github/ports.js";
import { localGithubPerTest, testApp, testAppKey } from "../support/local-github-app.js";

const repository = "acme/fraud-detector";
const start = localGithubPerTest();

const target = (rollout: string) => ({
  environment: "fraud-detector-endpoint",
  task: "deploy:fraud-detector",
  rollout,
  description: "fraud-detector to its endpoint",
});

/** Sets a status of rollout r-1's deployment of `sha`. */
const rolloutStatus = (
  github: GithubDeployments,
  sha: string,
  state: DeploymentStatus["state"],
  description: string,
) => github.setDeploymentStatus(repository, sha, target("r-1"), { state, description });

const shown = (server: LocalGithubServer) =>
  server.state.deployments.all.map((d) => ({ sha: d.sha, states: d.statuses.map((s) => s.state) }));

describe("GitHub Deployments on the local stand-in through octokit", () => {
  it("creates a rollout's deployment once and adds its statuses in order, with the log URL", async () => {
    const { server, github } = await start();
    const sha = server.state.addCommit(repository, { files: {} });
    const first = await rolloutStatus(github, sha, "queued", "deploying");
    const again = await rolloutStatus(github, sha, "in_progress", "step 1 of 3: 10 % of the traffic");
    await github.setDeploymentStatus(repository, sha, target("r-1"), {
      state: "success",
      description: "serving",
      logUrl: "https://storage.cloud.google.com/b/reports/r.html",
    });
    expect(first).toMatchObject({ created: true, written: true });
    expect(again).toEqual({ deploymentId: first.deploymentId, created: false, written: true });
    const [deployment] = server.state.deployments.all;
    expect(server.state.deployments.all).toHaveLength(1);
    expect(deployment).toMatchObject({
      sha,
      ref: sha,
      environment: "fraud-detector-endpoint",
      task: "deploy:fraud-detector",
      payload: { rollout: "r-1" },
      productionEnvironment: false,
    });
    expect(deployment?.statuses.map((s) => [s.state, s.description, s.logUrl])).toEqual([
      ["queued", "deploying", undefined],
      ["in_progress", "step 1 of 3: 10 % of the traffic", undefined],
      ["success", "serving", "https://storage.cloud.google.com/b/reports/r.html"],
    ]);
  });

  it("makes the environment's earlier successful deployment inactive when a new one succeeds", async () => {
    const { server, github } = await start();
    const old = server.state.addCommit(repository, { files: {} });
    const failed = server.state.addCommit(repository, { files: {}, parent: old });
    const next = server.state.addCommit(repository, { files: {}, parent: failed });
    const say = (sha: string, rollout: string, state: "success" | "failure") =>
      github.setDeploymentStatus(repository, sha, target(rollout), { state, description: state });
    await say(old, "r-old", "success");
    await say(failed, "r-failed", "failure");
    expect(shown(server)).toEqual([
      { sha: old, states: ["success"] },
      { sha: failed, states: ["failure"] },
    ]);
    await say(next, "r-next", "success");
    expect(shown(server)).toEqual([
      { sha: old, states: ["success", "inactive"] },
      { sha: failed, states: ["failure"] },
      { sha: next, states: ["success"] },
    ]);
  });

  it("leaves out a status that would take an ended deployment back, and a queued after any other", async () => {
    const { server, github } = await start();
    const sha = server.state.addCommit(repository, { files: {} });
    await rolloutStatus(github, sha, "failure", "no");
    const late = await rolloutStatus(github, sha, "in_progress", "step 2");
    const queued = await rolloutStatus(github, sha, "queued", "deploying");
    expect(late).toMatchObject({ written: false, latest: "failure" });
    expect(queued).toMatchObject({ written: false, latest: "failure" });
    expect(shown(server)).toEqual([{ sha, states: ["failure"] }]);
  });

  it("gives each rollout of one commit its own deployment, and refuses a commit GitHub does not have", async () => {
    const { server, github } = await start();
    const sha = server.state.addCommit(repository, { files: {} });
    await rolloutStatus(github, sha, "queued", "");
    await github.setDeploymentStatus(repository, sha, target("r-2"), { state: "queued", description: "" });
    expect(server.state.deployments.all.map((d) => d.payload)).toEqual([
      { rollout: "r-1" },
      { rollout: "r-2" },
    ]);
    await expect(
      github.setDeploymentStatus(repository, "b".repeat(40), target("r-3"), {
        state: "queued",
        description: "",
      }),
    ).rejects.toThrow(UpstreamError);
    const refused = server.calls.find((c) => c.method === "POST" && c.status === 422);
    expect(refused?.path).toBe(`/repos/${repository}/deployments`);
  });

  it("refuses a deployment without required_contexts while a status of the commit is not success", async () => {
    const { server } = await start();
    const sha = server.state.addCommit(repository, { files: {} });
    server.state.addStatus({ repository, sha, state: "failure", context: "ci/tests" });
    const octokit = await githubAppClient({
      apiUrl: server.url,
      appId: testApp.id,
      installationId: testApp.installationId,
      privateKey: async () => testAppKey,
    })();
    const create = (extra: Record<string, unknown>) =>
      octokit.request("POST /repos/{owner}/{repo}/deployments", {
        owner: "acme",
        repo: "fraud-detector",
        ref: sha,
        ...extra,
      });
    await expect(create({})).rejects.toMatchObject({ status: 409 });
    // modelgate's own calls say required_contexts: [] and deploy whatever other checks say.
    await expect(create({ required_contexts: [] })).resolves.toMatchObject({ status: 201 });
  });
});
