import { describe, expect, it } from "vitest";
import { endpointDrift } from "../../functions/reconcile-endpoints/endpoint-drift.js";

const modelResource = "projects/p/locations/us-central1/models/42";
const declared = { modelResource, versionId: "3" };
const deployed = (id: string, versionId: string) => ({
  id,
  modelResource,
  versionId,
  displayName: `v${versionId}`,
});

describe("endpoint drift", () => {
  it("is none when the declared version has all the traffic and the production alias", () => {
    const endpoint = {
      deployedModels: [deployed("111", "3"), deployed("222", "2")],
      trafficSplit: { "111": 100, "222": 0 },
    };
    expect(endpointDrift(declared, endpoint, "3")).toEqual([]);
  });

  it("is a traffic difference when the split was changed by hand", () => {
    const endpoint = {
      deployedModels: [deployed("111", "3"), deployed("222", "2")],
      trafficSplit: { "111": 70, "222": 30 },
    };
    expect(endpointDrift(declared, endpoint, "3")).toEqual([
      {
        kind: "traffic",
        expected: { "111": 100 },
        actual: { "111": 70, "222": 30 },
        summary:
          "version 3 (deployed model 111) has 70 % of the traffic, not 100 %; deployed model 222 (version 2) has 30 %",
      },
    ]);
  });

  it("is a traffic difference when the declared version is deployed without traffic", () => {
    const endpoint = {
      deployedModels: [deployed("111", "3"), deployed("222", "2")],
      trafficSplit: { "111": 0, "222": 100 },
    };
    expect(endpointDrift(declared, endpoint, "3")).toMatchObject([
      { kind: "traffic", actual: { "222": 100 } },
    ]);
  });

  it("is a not-deployed difference when the declared version was undeployed", () => {
    const endpoint = { deployedModels: [deployed("222", "2")], trafficSplit: { "222": 100 } };
    expect(endpointDrift(declared, endpoint, "3")).toEqual([
      {
        kind: "not-deployed",
        expected: declared,
        summary: "version 3 is not deployed on the endpoint; deployed model 222 (version 2) has 100 %",
      },
    ]);
    expect(endpointDrift(declared, { deployedModels: [], trafficSplit: {} }, "3")).toMatchObject([
      { kind: "not-deployed", summary: "version 3 is not deployed on the endpoint" },
    ]);
  });

  it("does not take a version of another model with the same id for the declared one", () => {
    const other = { ...deployed("111", "3"), modelResource: "projects/p/locations/us-central1/models/7" };
    expect(
      endpointDrift(declared, { deployedModels: [other], trafficSplit: { "111": 100 } }, "3"),
    ).toMatchObject([{ kind: "not-deployed" }]);
  });

  it("is an alias difference when the production alias moved or was removed", () => {
    const endpoint = { deployedModels: [deployed("111", "3")], trafficSplit: { "111": 100 } };
    expect(endpointDrift(declared, endpoint, "2")).toEqual([
      {
        kind: "alias",
        expectedVersionId: "3",
        actualVersionId: "2",
        summary: "the production alias is on version 2, not 3",
      },
    ]);
    expect(endpointDrift(declared, endpoint, null)).toMatchObject([
      {
        kind: "alias",
        actualVersionId: null,
        summary: "no version carries the production alias; version 3 should",
      },
    ]);
  });

  it("lists every difference at once", () => {
    const endpoint = { deployedModels: [deployed("222", "2")], trafficSplit: { "222": 100 } };
    expect(endpointDrift(declared, endpoint, "2").map((d) => d.kind)).toEqual(["not-deployed", "alias"]);
  });
});
