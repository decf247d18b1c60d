import type { EndpointServiceClient } from "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { dedicated, useEchoVertex } from "../support/echo-vertex.js";
import { rejection } from "../support/rejection.js";

const BUCKET = "vertex-endpoints-test";

// The echo model's three versions on the local Vertex AI server, with the real clients (test/support/echo-vertex.ts).
const echo = useEchoVertex(BUCKET);

// The generated signatures want protobufjs message classes; plain objects are what they take at run time.
type OperationRequest = Parameters<EndpointServiceClient["getOperation"]>[0];
type ListOperationsRequest = Parameters<EndpointServiceClient["listOperationsAsync"]>[0];

describe("endpoints and their long-running operations", () => {
  it("CreateEndpoint is an operation named under the endpoint whose response is the Endpoint", async () => {
    const [operation] = await echo.endpoints.createEndpoint({
      parent: echo.server.parent,
      endpoint: { displayName: "fraud", labels: { team: "fraud" } },
      endpointId: "fraud-endpoint",
    });
    expect(operation.name).toBe(
      `${echo.server.parent}/endpoints/fraud-endpoint/operations/${operation.name?.split("/").pop()}`,
    );
    const [endpoint, metadata] = await operation.promise();
    expect(endpoint.name).toBe(`${echo.server.parent}/endpoints/fraud-endpoint`);
    expect(endpoint.labels).toEqual({ team: "fraud" });
    expect(metadata?.genericMetadata?.createTime?.seconds).toBeDefined();

    const [polled] = await echo.endpoints.getOperation({ name: operation.name } as OperationRequest);
    expect(polled.done).toBe(true);
    const listed = await echo.endpoints.listOperationsAsync({ name: endpoint.name } as ListOperationsRequest);
    const names: string[] = [];
    for await (const listedOperation of listed) names.push(listedOperation.name as string);
    expect(names).toEqual([operation.name]);
  });

  it("refuses a second endpoint with the same id with ALREADY_EXISTS", async () => {
    await expect(
      echo.endpoints.createEndpoint({
        parent: echo.server.parent,
        endpoint: { displayName: "x" },
        endpointId: "fraud-endpoint",
      }),
    ).rejects.toMatchObject({ code: status.ALREADY_EXISTS });
  });

  it("ListEndpoints filters on labels and display name", async () => {
    const tagged = await echo.createEndpoint({ team: "risk", tier: "gold" });
    await echo.createEndpoint({ team: "risk", tier: "silver" });
    const [byLabels] = await echo.endpoints.listEndpoints({
      parent: echo.server.parent,
      filter: 'labels.team="risk" AND labels.tier=gold',
    });
    expect(byLabels.map((endpoint) => endpoint.name)).toEqual([tagged]);
    const [byName] = await echo.endpoints.listEndpoints({
      parent: echo.server.parent,
      filter: 'display_name="fraud"',
    });
    expect(byName.map((endpoint) => endpoint.name)).toEqual([
      `${echo.server.parent}/endpoints/fraud-endpoint`,
    ]);
    await expect(
      echo.endpoints.listEndpoints({ parent: echo.server.parent, filter: "create_time>1" }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it("answers NOT_FOUND for an unknown endpoint and INVALID_ARGUMENT for another location", async () => {
    await expect(
      echo.endpoints.getEndpoint({ name: `${echo.server.parent}/endpoints/404` }),
    ).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: `Endpoint \`${echo.server.parent}/endpoints/404\` not found.`,
    });
    await expect(
      echo.endpoints.getEndpoint({ name: "projects/local-project/locations/europe-west4/endpoints/1" }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(
      echo.endpoints.listEndpoints({ parent: "projects/other-project/locations/us-central1" }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it("DeleteEndpoint refuses while models are deployed and deletes an empty endpoint", async () => {
    const endpoint = await echo.createEndpoint();
    const deployedId = await echo.deploy(endpoint, echo.modelName);
    await expect(echo.endpoints.deleteEndpoint({ name: endpoint })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    const [undeploy] = await echo.endpoints.undeployModel({ endpoint, deployedModelId: deployedId });
    await undeploy.promise();
    const [remove] = await echo.endpoints.deleteEndpoint({ name: endpoint });
    await remove.promise();
    await expect(echo.endpoints.getEndpoint({ name: endpoint })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it("answers UNIMPLEMENTED for methods the local server does not implement", async () => {
    await expect(echo.models.deleteModel({ name: echo.modelName })).rejects.toMatchObject({
      code: status.UNIMPLEMENTED,
    });
    expect(echo.server.requestLog.at(-1)).toMatchObject({
      method: "DeleteModel",
      code: status.UNIMPLEMENTED,
    });
  });
});

describe("DeployModel and the traffic split", () => {
  it("gives the first deployed model all traffic and keeps a caller-chosen id", async () => {
    const endpoint = await echo.createEndpoint();
    const [operation] = await echo.endpoints.deployModel({
      endpoint,
      deployedModel: {
        model: `${echo.modelName}@1`,
        id: "101",
        displayName: "first",
        dedicatedResources: dedicated,
      },
    });
    expect(operation.name?.startsWith(`${endpoint}/operations/`)).toBe(true);
    const [response] = await operation.promise();
    expect(response.deployedModel).toMatchObject({ id: "101", model: echo.modelName, modelVersionId: "1" });
    const current = await echo.getEndpoint(endpoint);
    expect(current.trafficSplit).toEqual({ "101": 100 });
    expect(current.deployedModels?.map((deployed) => deployed.id)).toEqual(["101"]);
  });

  it('puts the new model in place of "0" and overwrites the split', async () => {
    const endpoint = await echo.createEndpoint();
    const first = await echo.deploy(endpoint, `${echo.modelName}@1`);
    const second = await echo.deploy(endpoint, `${echo.modelName}@2`, {
      trafficSplit: { [first]: 90, "0": 10 },
    });
    const current = await echo.getEndpoint(endpoint);
    expect(current.trafficSplit).toEqual({ [first]: 90, [second]: 10 });
    expect(current.deployedModels?.map((deployed) => deployed.modelVersionId)).toEqual(["1", "2"]);
  });

  it("leaves the split unchanged when the request has none and a model already serves", async () => {
    const endpoint = await echo.createEndpoint();
    const first = await echo.deploy(endpoint, echo.modelName);
    const second = await echo.deploy(endpoint, `${echo.modelName}@3`);
    const current = await echo.getEndpoint(endpoint);
    expect(current.trafficSplit).toEqual({ [first]: 100 });
    expect(current.deployedModels?.map((deployed) => deployed.id)).toEqual([first, second]);
  });

  it.each([
    ["a split that adds up to 90", { trafficSplit: { "0": 90 } }, status.INVALID_ARGUMENT, /add up to 100/],
    [
      "a split naming a model not deployed",
      { trafficSplit: { "0": 50, "999": 50 } },
      status.INVALID_ARGUMENT,
      /999/,
    ],
    ["an id that is not 1-10 digits", { id: "abc" }, status.INVALID_ARGUMENT, /1-10 digits/],
    ["an id already deployed", { id: "555" }, status.ALREADY_EXISTS, /555/],
    [
      "an unknown model",
      { model: "projects/local-project/locations/us-central1/models/nope" },
      status.NOT_FOUND,
      /nope/,
    ],
    ["an unknown alias", { model: "ALIAS" }, status.NOT_FOUND, /no version with that id or alias/],
    ["no machine resources", { resources: false }, status.INVALID_ARGUMENT, /dedicated_resources/],
  ])("refuses %s", async (_case, change, code, message) => {
    const endpoint = await echo.createEndpoint();
    await echo.deploy(endpoint, echo.modelName, { id: "555" });
    const model =
      "model" in change
        ? String(change.model).replace("ALIAS", `${echo.modelName}@golden`)
        : `${echo.modelName}@2`;
    const error = await rejection(
      echo.endpoints.deployModel({
        endpoint,
        deployedModel: {
          model,
          ...("id" in change ? { id: change.id } : {}),
          ...("resources" in change ? {} : { dedicatedResources: dedicated }),
        },
        ...("trafficSplit" in change ? { trafficSplit: change.trafficSplit } : {}),
      }),
    );
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toMatch(message);
    expect((await echo.getEndpoint(endpoint)).deployedModels).toHaveLength(1);
  });

  it("fails the operation when no predictor serves the model's container", async () => {
    const [operation] = await echo.models.uploadModel({
      parent: echo.server.parent,
      model: {
        displayName: "no-server",
        artifactUri: `gs://${BUCKET}/models/echo/v1/`,
        containerSpec: { imageUri: "local/unknown-server:1" },
      },
    });
    const [uploaded] = await operation.promise();
    const endpoint = await echo.createEndpoint();
    const [deploying] = await echo.endpoints.deployModel({
      endpoint,
      deployedModel: { model: uploaded.model as string, dedicatedResources: dedicated },
    });
    await expect(deploying.promise()).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: expect.stringContaining("local/unknown-server:1"),
    });
    expect((await echo.getEndpoint(endpoint)).deployedModels).toEqual([]);
  });
});

describe("UndeployModel, UpdateEndpoint and MutateDeployedModel", () => {
  it("refuses to undeploy a model that still has traffic, then undeploys it with a new split", async () => {
    const endpoint = await echo.createEndpoint();
    const old = await echo.deploy(endpoint, `${echo.modelName}@1`);
    const next = await echo.deploy(endpoint, `${echo.modelName}@2`, { trafficSplit: { [old]: 80, "0": 20 } });

    await expect(echo.endpoints.undeployModel({ endpoint, deployedModelId: old })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringContaining("80%"),
    });
    await expect(
      echo.endpoints.undeployModel({ endpoint, deployedModelId: old, trafficSplit: { [next]: 60 } }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });

    const [operation] = await echo.endpoints.undeployModel({
      endpoint,
      deployedModelId: old,
      trafficSplit: { [old]: 0, [next]: 100 },
    });
    await operation.promise();
    const current = await echo.getEndpoint(endpoint);
    expect(current.trafficSplit).toEqual({ [next]: 100 });
    expect(current.deployedModels?.map((deployed) => deployed.id)).toEqual([next]);

    // The last model may go even with all the traffic; the split ends up empty.
    const [last] = await echo.endpoints.undeployModel({ endpoint, deployedModelId: next });
    await last.promise();
    expect((await echo.getEndpoint(endpoint)).trafficSplit).toEqual({});
    await expect(echo.endpoints.undeployModel({ endpoint, deployedModelId: next })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it("UpdateEndpoint replaces the split after checking it", async () => {
    const endpoint = await echo.createEndpoint();
    const a = await echo.deploy(endpoint, `${echo.modelName}@1`);
    const b = await echo.deploy(endpoint, `${echo.modelName}@2`);
    const [updated] = await echo.endpoints.updateEndpoint({
      endpoint: { name: endpoint, trafficSplit: { [a]: 25, [b]: 75 } },
      updateMask: { paths: ["traffic_split"] },
    });
    expect(updated.trafficSplit).toEqual({ [a]: 25, [b]: 75 });

    for (const trafficSplit of [
      { [a]: 25, [b]: 70 },
      { [a]: 50, "12345": 50 },
      { [a]: 150, [b]: -50 },
    ]) {
      await expect(
        echo.endpoints.updateEndpoint({
          endpoint: { name: endpoint, trafficSplit },
          updateMask: { paths: ["traffic_split"] },
        }),
      ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    }
    await expect(
      echo.endpoints.updateEndpoint({
        endpoint: { name: endpoint, etag: "x" },
        updateMask: { paths: ["etag"] },
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((await echo.getEndpoint(endpoint)).trafficSplit).toEqual({ [a]: 25, [b]: 75 });

    // An empty split is allowed: the endpoint then serves nothing.
    await echo.endpoints.updateEndpoint({
      endpoint: { name: endpoint, trafficSplit: {} },
      updateMask: { paths: ["traffic_split"] },
    });
    await expect(echo.predict(endpoint, [{ x: 1 }])).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
  });

  it("MutateDeployedModel changes replica counts through an operation", async () => {
    const endpoint = await echo.createEndpoint();
    const id = await echo.deploy(endpoint, echo.modelName);
    const [operation] = await echo.endpoints.mutateDeployedModel({
      endpoint,
      deployedModel: { id, dedicatedResources: { minReplicaCount: 2, maxReplicaCount: 5 } },
      updateMask: {
        paths: ["dedicated_resources.min_replica_count", "dedicated_resources.max_replica_count"],
      },
    });
    const [response] = await operation.promise();
    expect(response.deployedModel?.dedicatedResources).toMatchObject({
      minReplicaCount: 2,
      maxReplicaCount: 5,
    });
    const deployed = (await echo.getEndpoint(endpoint)).deployedModels?.[0];
    expect(deployed?.dedicatedResources).toMatchObject({
      minReplicaCount: 2,
      maxReplicaCount: 5,
      machineSpec: { machineType: "n1-standard-2" },
    });
    await expect(
      echo.endpoints.mutateDeployedModel({
        endpoint,
        deployedModel: { id, model: echo.modelName },
        updateMask: { paths: ["model"] },
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});
