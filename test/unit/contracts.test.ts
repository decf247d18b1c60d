import { describe, expect, it } from "vitest";
import {
  Attribute,
  decodeMessage,
  encodeMessage,
  type TrainingRequested,
  Verdict,
  type VerificationCompleted,
} from "../../shared/contracts.js";
import { ValidationError } from "../../shared/errors.js";
import { Topic } from "../../shared/topology.js";

const valid: TrainingRequested = {
  schemaVersion: 1,
  correlationId: "c-1",
  model: "fraud-detector",
  commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
  repository: "acme/fraud-detector",
  causedBy: [{ source: "github", id: "cb5222de-e53d-11f1-87f3-9823e6ba3ad7" }],
  createdAt: "2024-06-11T09:50:12.351Z",
  trigger: "github-push",
  ref: "refs/heads/main",
};

describe("contracts", () => {
  it("round-trips a message with its routing attributes", () => {
    const { data, attributes } = encodeMessage(Topic.trainingRequested, valid);
    expect(attributes[Attribute.contract]).toBe("training-requested");
    expect(attributes[Attribute.version]).toBe("1");
    expect(attributes[Attribute.model]).toBe("fraud-detector");
    expect(decodeMessage(Topic.trainingRequested, data)).toEqual(valid);
  });

  it.each([
    ["a wrong version", { ...valid, schemaVersion: 2 }, "schemaVersion"],
    ["an uppercase commit", { ...valid, commit: "ABCDEF1" }, "commit"],
    ["no cause", { ...valid, causedBy: [] }, "causedBy"],
    ["a model with a slash", { ...valid, model: "a/b" }, "model"],
    ["an unknown field", { ...valid, extra: 1 }, "(root)"],
    ["a bad time", { ...valid, createdAt: "yesterday" }, "createdAt"],
  ])("refuses %s, naming the field", (_name, message, field) => {
    expect(() => encodeMessage(Topic.trainingRequested, message as TrainingRequested)).toThrow(
      ValidationError,
    );
    expect(() => decodeMessage(Topic.trainingRequested, JSON.stringify(message))).toThrow(field);
  });

  it("refuses bytes that are not JSON", () => {
    expect(() => decodeMessage(Topic.artifactReady, "{not json")).toThrow(/not JSON/);
  });

  it("checks the receiving topic's own contract", () => {
    const { data } = encodeMessage(Topic.trainingRequested, valid);
    expect(() => decodeMessage(Topic.artifactReady, data)).toThrow(/artifactUri/);
  });
});

describe("the verdict", () => {
  const { trigger: _trigger, ref: _ref, ...envelope } = valid;
  const completed = (verdict: string) => ({
    ...envelope,
    endpoint: "projects/p/locations/us-central1/endpoints/fraud-detector",
    modelResource: "projects/p/locations/us-central1/models/fraud-detector",
    versionId: "2",
    deployedModelId: "d-2",
    canaryPercent: 10,
    previousTrafficSplit: { "d-1": 100 },
    verdict,
    reasons: [],
    metrics: { accuracy: 0.9 },
    reportUri: "gs://modelgate-artifacts/reports/fraud-detector/3f2c1a9/report.json",
  });

  it.each(Object.values(Verdict))("carries %s in verification-completed", (verdict) => {
    const { data } = encodeMessage(Topic.verificationCompleted, completed(verdict) as VerificationCompleted);
    expect(decodeMessage(Topic.verificationCompleted, data).verdict).toBe(verdict);
  });

  it.each(["passed", "PASS", ""])("refuses the verdict %j, naming the field", (verdict) => {
    expect(() => decodeMessage(Topic.verificationCompleted, JSON.stringify(completed(verdict)))).toThrow(
      /verdict/,
    );
  });
});
