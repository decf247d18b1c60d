import { describe, expect, it } from "vitest";
import { mapSuccessfulRun } from "../../functions/tekton-events/map-run.js";
import {
  parseTektonEventType,
  parseTektonRun,
  parseTektonSource,
  runValue,
} from "../../functions/tekton-events/tekton-run.js";
import { sameCommit } from "../../shared/commit.js";
import { parseArtifactUri } from "../../shared/ingress/artifact.js";
import { matchesAnySecret } from "../../shared/ingress/secret-match.js";
import { ingressTestConfig } from "../support/ingress-config.js";
import { ownJson } from "../support/ingress-fixtures.js";

const config = ingressTestConfig();
const run = (change: (body: Record<string, any>) => void = () => {}) => {
  const body = ownJson<Record<string, any>>("tekton/pipelinerun-successful.json");
  change(body);
  return parseTektonRun("pipelineRun", body);
};

describe("Tekton event parsing", () => {
  it("reads the resource and state from the event type, and nothing from other types", () => {
    expect(parseTektonEventType("dev.tekton.event.taskrun.failed.v1")).toEqual({
      kind: "taskRun",
      state: "failed",
    });
    expect(parseTektonEventType("dev.tekton.event.pipelinerun.successful.v2")).toBeNull();
    expect(parseTektonEventType("dev.tekton.event.customrun.successful.v1")).toBeNull();
  });

  it("reads namespace, resource and name from the source, for any API version", () => {
    expect(parseTektonSource("/apis/tekton.dev/v1/namespaces/ml-ci/taskruns/build-1")).toEqual({
      namespace: "ml-ci",
      kind: "taskRun",
      name: "build-1",
    });
    expect(parseTektonSource("/apis/tekton.dev/v1beta1/namespaces/ml-ci/pipelineruns/a/extra")).toBeNull();
    expect(
      parseTektonSource("https://evil.example/apis/tekton.dev/v1/namespaces/ml-ci/taskruns/x"),
    ).toBeNull();
  });

  it("prefers results over params, trims the newline `echo` leaves, and skips array results", () => {
    const parsed = run((b) => {
      b.pipelineRun.status.pipelineResults.push({ name: "LIST", value: ["a", "b"] });
      b.pipelineRun.spec.params.push({ name: "GIT_COMMIT", value: "0000000" });
    });
    expect(runValue(parsed, "GIT_COMMIT")).toBe("3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f");
    expect(runValue(parsed, "gitrevision")).toBe("3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f");
    expect(runValue(parsed, "LIST")).toBeUndefined();
  });
});

describe("mapSuccessfulRun", () => {
  it("maps by the model's configured result keys, falling back to params", () => {
    const mapping = mapSuccessfulRun(
      config,
      run((b) => {
        b.pipelineRun.status.pipelineResults = b.pipelineRun.status.pipelineResults.filter(
          (r: { name: string }) => r.name === "ARTIFACT_URI",
        );
        b.pipelineRun.spec.params.push({
          name: "GIT_COMMIT",
          value: "3F2C1A9E8B7D6C5F4A3B2C1D0E9F8A7B6C5D4E3F",
        });
      }),
    );
    expect(mapping.refused).toEqual([]);
    expect(mapping.intents).toMatchObject([
      { kind: "artifact-ready", model: "fraud-detector", commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f" },
    ]);
  });

  it("refuses a run without a commit or artifact URI, naming the key it looked for", () => {
    const noCommit = mapSuccessfulRun(
      config,
      run((b) => {
        b.pipelineRun.status.pipelineResults.splice(1, 1);
        b.pipelineRun.spec.params = [];
      }),
    );
    expect(noCommit.refused).toEqual([
      {
        model: "fraud-detector",
        reason: "fraud-detector: the run has no commit SHA under result or param GIT_COMMIT",
      },
    ]);
    const noUri = mapSuccessfulRun(
      config,
      run((b) => b.pipelineRun.status.pipelineResults.splice(2, 1)),
    );
    expect(noUri.refused[0]?.reason).toBe(
      "fraud-detector: the run has no artifact URI under result or param ARTIFACT_URI",
    );
  });
});

describe("ingress helpers", () => {
  it.each([
    ["3f2c1a9", "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f", true],
    ["3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f", "3f2c1a9", true],
    ["3f2c1a9e", "3f2c1a9f", false],
    ["3f2c1a", "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f", false],
    ["3F2C1A9", "3f2c1a9", false],
  ])("sameCommit(%s, %s) is %s", (a, b, same) => {
    expect(sameCommit(a, b)).toBe(same);
  });

  it("parses an artifact URI with or without the trailing slash", () => {
    expect(parseArtifactUri("gs://modelgate-artifacts/models/churn/abcdef1", "modelgate-artifacts")).toEqual({
      bucket: "modelgate-artifacts",
      model: "churn",
      commit: "abcdef1",
      uri: "gs://modelgate-artifacts/models/churn/abcdef1/",
    });
    expect(() => parseArtifactUri("https://storage.googleapis.com/x/y", "modelgate-artifacts")).toThrow(
      /not a gs:/,
    );
    expect(() =>
      parseArtifactUri("gs://modelgate-artifacts/models/churn/abcdef1/model/", "modelgate-artifacts"),
    ).toThrow(/not a models\/<model>\/<commit>\//);
  });

  it("matches a presented token against each secret, whatever their lengths", () => {
    expect(matchesAnySecret("b", ["a", "b"])).toBe(true);
    expect(matchesAnySecret("", ["a"])).toBe(false);
    expect(matchesAnySecret("a-much-longer-guess", ["a"])).toBe(false);
  });
});
