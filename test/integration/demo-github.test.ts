import { describe, expect, it } from "vitest";
import { demoCommit, recordedGithubView } from "../../cli/commands/demo-github.js";
import { localGithubPerTest } from "../support/local-github-app.js";

const repository = "acme/fraud-detector";
const start = localGithubPerTest();

describe("the demo's view of the local GitHub", () => {
  it("seeds the demo's commit there and prints the deployment statuses and commit statuses it recorded", async () => {
    const { server, github } = await start();
    const commit = await demoCommit(server.url, repository, "a good model");
    expect(server.state.commit(repository, commit)?.sha).toBe(commit);
    const target = {
      environment: "fraud-endpoint",
      task: "deploy:fraud-detector",
      rollout: "r-1",
      description: "",
    };
    await github.setStatus(repository, commit, {
      state: "pending",
      context: "modelgate/verification/fraud-detector",
      description: "step 1 at 10 %: inconclusive",
    });
    for (const [state, description] of [
      ["queued", "deploying version 2"],
      ["in_progress", "step 1 of 2: 10 % of the traffic, verifying"],
      ["failure", "failed at step 2 of 2, split restored: accuracy 0.7"],
    ] as const) {
      await github.setDeploymentStatus(repository, commit, target, {
        state,
        description,
        logUrl: "https://example.test/r.html",
      });
    }
    const view = await recordedGithubView(server.url, commit);
    expect(view.split("\n").map((line) => line.trim())).toEqual([
      "GitHub deployment #1 to fraud-endpoint (deploy:fraud-detector)",
      "queued      deploying version 2  → https://example.test/r.html",
      "in_progress step 1 of 2: 10 % of the traffic, verifying  → https://example.test/r.html",
      "failure     failed at step 2 of 2, split restored: accuracy 0.7  → https://example.test/r.html",
      "commit status modelgate/verification/fraud-detector: pending — step 1 at 10 %: inconclusive",
      "",
    ]);
  });

  it("uses a random commit where there is no local GitHub", async () => {
    expect(await demoCommit(undefined, repository, "x")).toMatch(/^[0-9a-f]{40}$/);
  });
});
