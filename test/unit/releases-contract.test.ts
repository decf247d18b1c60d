import { describe, expect, it } from "vitest";
import { Attribute, decodeMessage, encodeMessage } from "../../shared/contracts.js";
import { ValidationError } from "../../shared/errors.js";
import { Topic } from "../../shared/topology.js";
import { promotionRequest, releasesRequest } from "../support/step-messages.js";

const commit = "a".repeat(40);

describe("the releases-requested contract", () => {
  it("round-trips without a model attribute: the request concerns a repository commit", () => {
    const message = releasesRequest(commit, {
      trigger: "flux",
      flux: {
        kind: "Kustomization",
        namespace: "flux-system",
        name: "apps",
        revision: `main@sha1:${commit}`,
      },
    });
    const { data, attributes } = encodeMessage(Topic.releasesRequested, message);
    expect(attributes[Attribute.contract]).toBe("releases-requested");
    expect(attributes).not.toHaveProperty(Attribute.model);
    expect(decodeMessage(Topic.releasesRequested, data)).toEqual(message);
  });

  it.each([
    ["an abbreviated commit", { commit: "abcdef1" }, "commit"],
    ["a model field", { model: "fraud-detector" }, "(root)"],
    ["an unknown trigger", { trigger: "cron" }, "trigger"],
    ["a flux object without a revision", { flux: { kind: "K", namespace: "n", name: "x" } }, "flux.revision"],
  ])("refuses %s, naming the field", (_name, change, field) => {
    const message = { ...releasesRequest(commit), ...change };
    expect(() => decodeMessage(Topic.releasesRequested, JSON.stringify(message))).toThrow(ValidationError);
    expect(() => decodeMessage(Topic.releasesRequested, JSON.stringify(message))).toThrow(field);
  });

  it("carries a release's origin and canary share on deployment-requested, and refuses a canary of 100", () => {
    const request = promotionRequest(commit, {
      reason: "release",
      canaryPercent: 25,
      release: { declaredBy: commit },
    });
    expect(
      decodeMessage(Topic.deploymentRequested, encodeMessage(Topic.deploymentRequested, request).data),
    ).toEqual(request);
    expect(() => encodeMessage(Topic.deploymentRequested, { ...request, canaryPercent: 100 })).toThrow(
      /canaryPercent/,
    );
  });
});
