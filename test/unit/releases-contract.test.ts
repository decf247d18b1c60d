import { describe, expect, it } from "vitest";
import { applyReleasesStep } from "../../functions/apply-releases/step.js";
import { Attribute, decodeMessage, encodeMessage } from "../../shared/contracts.js";
import { ValidationError } from "../../shared/errors.js";
import { Outcome, unattributed } from "../../shared/ledger.js";
import { ReleasesAction } from "../../shared/ledger-actions.js";
import { pubsubFunction } from "../../shared/pubsub-function.js";
import { Topic } from "../../shared/topology.js";
import { memoryRuntime } from "../support/memory-runtime.js";
import { pushEnvelope } from "../support/push-envelope.js";
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

describe("applyReleases (interface step)", () => {
  it("records a valid request under the commit, the model unattributed", async () => {
    const runtime = memoryRuntime();
    const handler = pubsubFunction(applyReleasesStep(), () => runtime);
    await handler(pushEnvelope(Topic.releasesRequested, releasesRequest(commit)));
    const records = await runtime.ledger.read(unattributed, commit);
    expect(records.map((r) => [r.step, r.action, r.outcome])).toEqual([
      ["applyReleases", ReleasesAction.releasesRequestReceived, Outcome.accepted],
    ]);
  });
});
