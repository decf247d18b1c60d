import { createPublicKey } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyReleasesStep } from "../../functions/apply-releases/step.js";
import { type LocalGithubServer, startGithubServer } from "../../local/github/index.js";
import { newGithubAppKey } from "../../local/servers.js";
import { githubAppClient } from "../../shared/github/app-client.js";
import { OctokitGithub } from "../../shared/github/octokit-github.js";
import { Outcome, unattributed } from "../../shared/ledger.js";
import { ReleasesAction } from "../../shared/ledger-actions.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { addToRegistryIndex } from "../../shared/registry-index.js";
import { readAppliedRelease, writeAppliedRelease } from "../../shared/releases/applied-release.js";
import { Topic } from "../../shared/topology.js";
import { ingressTestConfig } from "../support/ingress-config.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { pushEnvelope } from "../support/push-envelope.js";
import { releasesRequest } from "../support/step-messages.js";

const repository = "acme/fraud-detector";
const key = newGithubAppKey();
const registered = "1".repeat(40);
const unregistered = "2".repeat(40);
let github: LocalGithubServer;
let runtime: ReturnType<typeof memoryRuntime>;

beforeAll(async () => {
  github = await startGithubServer({
    app: {
      id: 1,
      installationId: 1,
      publicKey: createPublicKey(key).export({ type: "spki", format: "pem" }).toString(),
    },
  });
});
afterAll(() => github.close());

beforeEach(async () => {
  github.state.statuses.length = 0;
  runtime = memoryRuntime({ config: ingressTestConfig() });
  await addToRegistryIndex(runtime.blobs, "fraud-detector", {
    commit: registered,
    versionId: "3",
    modelResource: "projects/local-project/locations/us-central1/models/1",
    registeredAt: "2026-01-01T00:00:00Z",
  });
});

const client = new OctokitGithub(
  githubAppClient({ apiUrl: "", appId: 1, installationId: 1, privateKey: async () => key }),
);

/** Pushes a commit declaring `releases` (merged through a reviewed pull request) and applies it. */
async function apply(releasesYaml: string, correlationId = "r-1") {
  const commit = github.state.addCommit(repository, {
    files: { "modelgate.releases.yaml": releasesYaml },
    author: { login: "octocat" },
    branch: "main",
  });
  github.state.addMergedPull(repository, {
    author: "octocat",
    mergedBy: "hubot",
    mergeCommitSha: commit,
    reviews: [{ user: "monalisa", state: "APPROVED", submittedAt: "2026-01-01T00:00:00Z" }],
  });
  const live = new OctokitGithub(
    githubAppClient({ apiUrl: github.url, appId: 1, installationId: 1, privateKey: async () => key }),
  );
  const handler = pubsubFunction(
    applyReleasesStep(() => live),
    () => runtime,
  );
  await handler(pushEnvelope(Topic.releasesRequested, releasesRequest(commit, { correlationId })));
  return commit;
}

describe("applyReleases", () => {
  it("requests a deployment for a changed release, with its canary share, provenance and a pending status", async () => {
    const declaredBy = await apply(
      `releases:\n  fraud-detector:\n    commit: ${registered}\n    canary: 25\n`,
    );
    expect(runtime.publisher.on(Topic.deploymentRequested)).toMatchObject([
      {
        model: "fraud-detector",
        commit: registered,
        reason: "release",
        canaryPercent: 25,
        release: { declaredBy },
      },
    ]);
    expect((await readAppliedRelease(runtime.blobs, "fraud-detector"))?.applied).toMatchObject({
      state: "requested",
      versionId: "3",
      release: { commit: registered, canaryPercent: 25 },
      declaredBy: {
        commit: declaredBy,
        trigger: "github-push",
        author: "octocat",
        pullRequest: { number: expect.any(Number), mergedBy: "hubot", approvers: ["monalisa"] },
      },
    });
    expect(github.state.statuses).toMatchObject([
      { sha: declaredBy, state: "pending", context: "modelgate/release/fraud-detector" },
    ]);
  });

  it("leaves an unchanged release alone: a second push declaring the same release requests nothing", async () => {
    await apply(`releases:\n  fraud-detector: { commit: "${registered}" }\n`);
    await apply(`releases:\n  fraud-detector: { commit: "${registered}" }\n# a comment changed\n`, "r-2");
    expect(runtime.publisher.on(Topic.deploymentRequested)).toHaveLength(1);
    const records = await runtime.ledger.read("fraud-detector", registered);
    expect(records.map((r) => r.action)).toContain(ReleasesAction.releaseUnchanged);
  });

  it("resolves a tag to the commit it names, and keeps the tag", async () => {
    github.state.addCommit(repository, { files: {}, sha: registered });
    github.state.tag(repository, "promote/fraud-detector/v3", registered);
    await apply("releases:\n  fraud-detector: { tag: promote/fraud-detector/v3 }\n");
    expect(runtime.publisher.on(Topic.deploymentRequested)).toMatchObject([
      { commit: registered, tag: "promote/fraud-detector/v3" },
    ]);
  });

  it.each([
    ["an unknown model", "nosuch: { commit: COMMIT }", "nosuch", /no model "nosuch" is configured/],
    ["a malformed SHA", "fraud-detector: { commit: abc123 }", "fraud-detector", /full 40-digit/],
    [
      "an unknown tag",
      "fraud-detector: { tag: promote/fraud-detector/v9 }",
      "fraud-detector",
      /tag "promote\/fraud-detector\/v9" does not exist/,
    ],
    [
      "a never-registered commit",
      `fraud-detector: { commit: "${unregistered}" }`,
      "fraud-detector",
      /never registered/,
    ],
    ["a model of another repository", "churn: { commit: COMMIT }", "churn", /repository is acme\/churn/],
  ])("refuses %s by name, in the ledger and as a failed status", async (_name, line, entry, problem) => {
    const declaredBy = await apply(`releases:\n  ${line.replace("COMMIT", `"${registered}"`)}\n`);
    expect(runtime.publisher.on(Topic.deploymentRequested)).toEqual([]);
    const model = entry === "nosuch" ? unattributed : entry;
    const refused = (await runtime.ledger.read(model, declaredBy)).filter(
      (r) => r.action === ReleasesAction.releaseRefused,
    );
    expect(refused).toHaveLength(1);
    expect(refused[0]?.outcome).toBe(Outcome.refused);
    expect(String(refused[0]?.error?.message)).toMatch(problem);
    expect(github.state.statuses).toMatchObject([
      { sha: declaredBy, state: "failure", context: `modelgate/release/${entry}` },
    ]);
    expect(github.state.statuses[0]?.description).toMatch(problem);
  });

  it("applies the good entry while it refuses the bad one", async () => {
    await apply(
      `releases:\n  fraud-detector: { commit: "${registered}" }\n  churn: { commit: "${registered}" }\n`,
    );
    expect(runtime.publisher.on(Topic.deploymentRequested).map((m) => m.model)).toEqual(["fraud-detector"]);
    expect(github.state.statuses.map((s) => [s.context, s.state])).toEqual([
      ["modelgate/release/fraud-detector", "pending"],
      ["modelgate/release/churn", "failure"],
    ]);
  });

  it.each([
    ["not YAML", "releases: [unclosed", /is not YAML/],
    ["not a releases map", "models: {}\n", /one key, `releases`/],
  ])("reports a file that is %s as one failed status", async (_name, text, problem) => {
    const declaredBy = await apply(text);
    expect(runtime.publisher.on(Topic.deploymentRequested)).toEqual([]);
    expect(github.state.statuses).toMatchObject([
      { sha: declaredBy, state: "failure", context: "modelgate/releases" },
    ]);
    const records = await runtime.ledger.read(unattributed, declaredBy);
    expect(records.find((r) => r.action === ReleasesAction.fileRefused)?.error?.message).toMatch(problem);
  });

  it("keeps the release that served when a new one is requested", async () => {
    const first = await apply(`releases:\n  fraud-detector: { commit: "${registered}" }\n`);
    const stored = await readAppliedRelease(runtime.blobs, "fraud-detector");
    if (!stored) throw new Error("no applied release");
    await writeAppliedRelease(runtime.blobs, { ...stored.applied, state: "serving" }, stored.generation);
    const next = "4".repeat(40);
    await addToRegistryIndex(runtime.blobs, "fraud-detector", {
      commit: next,
      versionId: "4",
      modelResource: "projects/local-project/locations/us-central1/models/1",
      registeredAt: "2026-01-02T00:00:00Z",
    });
    await apply(`releases:\n  fraud-detector: { commit: "${next}" }\n`, "r-2");
    const applied = (await readAppliedRelease(runtime.blobs, "fraud-detector"))?.applied;
    expect(applied).toMatchObject({ state: "requested", release: { commit: next } });
    expect(applied?.lastServing).toMatchObject({
      release: { commit: registered },
      declaredBy: { commit: first },
    });
  });

  it("applies nothing for a commit without the file, and says so", async () => {
    const commit = github.state.addCommit(repository, { files: { "README.md": "hi" }, branch: "main" });
    const handler = pubsubFunction(
      applyReleasesStep(() => client),
      () => runtime,
    );
    runtime.config = ingressTestConfig();
    const live = new OctokitGithub(
      githubAppClient({ apiUrl: github.url, appId: 1, installationId: 1, privateKey: async () => key }),
    );
    await pubsubFunction(
      applyReleasesStep(() => live),
      () => runtime,
    )(pushEnvelope(Topic.releasesRequested, releasesRequest(commit)));
    expect(handler).toBeTypeOf("function");
    const records = await runtime.ledger.read(unattributed, commit);
    expect(records.map((r) => [r.action, r.outcome])).toEqual([
      [ReleasesAction.fileMissing, Outcome.ignored],
    ]);
  });
});
