import { describe, expect, it } from "vitest";
import { Attribute, decodeMessage, encodeMessage, type TrainingRequested } from "../../shared/contracts.js";
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
