import type { EndpointServiceClient } from "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js";
import { PredictionServiceClient } from "@google-cloud/aiplatform/build/src/v1/prediction_service_client.js";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  fromProtoValue,
  localVertexClientOptions,
  startVertexServer,
  toProtoValue,
} from "../../local/vertex/index.js";
import { dedicated, useEchoVertex } from "../support/echo-vertex.js";
import { rejection } from "../support/rejection.js";

const BUCKET = "vertex-predict-test";

// The echo model's three versions on the local Vertex AI server, with the real clients (test/support/echo-vertex.ts).
const echo = useEchoVertex(BUCKET);

// The generated signatures want protobufjs message classes; plain objects are what they take at run time.
type OperationRequest = Parameters<EndpointServiceClient["getOperation"]>[0];

describe("Predict", () => {
  it("serves with the deployed model's predictor and names the version that answered", async () => {
    const endpoint = await echo.createEndpoint();
    const id = await echo.deploy(endpoint, `${echo.modelName}@2`);
    const response = await echo.predict(endpoint, [{ x: 1 }, { x: [2, "two"] }]);
    expect(response.predictions?.map(fromProtoValue)).toEqual([
      { version: "v2", instance: { x: 1 } },
      { version: "v2", instance: { x: [2, "two"] } },
    ]);
    expect(response).toMatchObject({
      deployedModelId: id,
      model: echo.modelName,
      modelVersionId: "2",
      modelDisplayName: "echo",
    });
  });

  it("routes each request to one deployed model by the traffic split", async () => {
    const endpoint = await echo.createEndpoint();
    const old = await echo.deploy(endpoint, `${echo.modelName}@1`);
    const canary = await echo.deploy(endpoint, `${echo.modelName}@3`, {
      trafficSplit: { [old]: 70, "0": 30 },
    });
    const counts: Record<string, number> = { [old]: 0, [canary]: 0 };
    const requests = 2000;
    for (let batch = 0; batch < requests; batch += 100) {
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => echo.predict(endpoint, [{ n: batch }, { n: batch + 1 }])),
      );
      for (const response of responses) {
        const id = response.deployedModelId as string;
        counts[id] = (counts[id] ?? 0) + 1;
        // A request is served whole by the model it was routed to.
        const versions = new Set(
          response.predictions?.map((p) => (fromProtoValue(p) as { version: string }).version),
        );
        expect(versions).toEqual(new Set([id === old ? "v1" : "v3"]));
      }
    }
    expect(Object.keys(counts).sort()).toEqual([old, canary].sort());
    // 2,000 draws at 30 %: the standard deviation is about 1 point, so ±5 points is generous.
    expect((counts[canary] ?? 0) / requests).toBeGreaterThan(0.25);
    expect((counts[canary] ?? 0) / requests).toBeLessThan(0.35);
  });

  it.each([
    ["no instances", [], status.INVALID_ARGUMENT, /at least one instance/],
    [
      "more instances than allowed",
      Array.from({ length: 101 }, (_, i) => ({ i })),
      status.INVALID_ARGUMENT,
      /101/,
    ],
  ])("refuses %s", async (_case, instances, code, message) => {
    const endpoint = await echo.createEndpoint();
    await echo.deploy(endpoint, echo.modelName);
    const error = await rejection(echo.predict(endpoint, instances));
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toMatch(message);
  });

  it("refuses plain JSON instances, which the client encodes as empty Values", async () => {
    const endpoint = await echo.createEndpoint();
    await echo.deploy(endpoint, echo.modelName);
    await expect(
      echo.predictions.predict({ endpoint, instances: [{ x: 1 } as never] }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining("toProtoValue"),
    });
  });

  it("answers FAILED_PRECONDITION for an endpoint without deployed models", async () => {
    const endpoint = await echo.createEndpoint();
    await expect(echo.predict(endpoint, [{ x: 1 }])).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringContaining("no deployed model"),
    });
  });
});

describe("injected faults", () => {
  it("failNext fails the next calls with the given code, then the method works again", async () => {
    const endpoint = await echo.createEndpoint();
    const logged = echo.server.requestLog.length;
    echo.server.faults.failNext("DeployModel", 2, "UNAVAILABLE");
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(
        echo.endpoints.deployModel({
          endpoint,
          deployedModel: { model: echo.modelName, dedicatedResources: dedicated },
        }),
      ).rejects.toMatchObject({ code: status.UNAVAILABLE });
    }
    await echo.deploy(endpoint, echo.modelName);
    const deployCalls = echo.server.requestLog
      .slice(logged)
      .filter((entry) => entry.method === "DeployModel");
    expect(deployCalls.map((entry) => entry.code)).toEqual([
      status.UNAVAILABLE,
      status.UNAVAILABLE,
      status.OK,
    ]);
    expect(deployCalls[0]?.request).toMatchObject({ endpoint });

    echo.server.faults.failNext(
      "google.cloud.aiplatform.v1.EndpointService/GetEndpoint",
      1,
      "RESOURCE_EXHAUSTED",
    );
    await expect(echo.getEndpoint(endpoint)).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect((await echo.getEndpoint(endpoint)).name).toBe(endpoint);
  });

  it("latency delays a method (a short client deadline then expires)", async () => {
    const endpoint = await echo.createEndpoint();
    echo.server.faults.latency("GetEndpoint", 1500);
    try {
      await expect(echo.endpoints.getEndpoint({ name: endpoint }, { timeout: 100 })).rejects.toMatchObject({
        code: status.DEADLINE_EXCEEDED,
      });
    } finally {
      echo.server.faults.latency("GetEndpoint", 0);
    }
    expect((await echo.getEndpoint(endpoint)).name).toBe(endpoint);
  });

  it("failOperation completes the operation with an error and applies nothing", async () => {
    const endpoint = await echo.createEndpoint();
    echo.server.faults.failOperation("DeployModel", 1, "Injected: no capacity in us-central1.");
    const [operation] = await echo.endpoints.deployModel({
      endpoint,
      deployedModel: { model: echo.modelName, dedicatedResources: dedicated },
    });
    await expect(operation.promise()).rejects.toMatchObject({
      code: status.INTERNAL,
      message: "Injected: no capacity in us-central1.",
    });
    const [polled] = await echo.endpoints.getOperation({ name: operation.name } as OperationRequest);
    expect(polled).toMatchObject({ done: true, error: { code: status.INTERNAL } });
    expect((await echo.getEndpoint(endpoint)).deployedModels).toEqual([]);
    await echo.deploy(endpoint, echo.modelName);
    expect((await echo.getEndpoint(endpoint)).deployedModels).toHaveLength(1);
  });

  it("refuses to inject a fault into a method it does not know", () => {
    expect(() => echo.server.faults.failNext("DeployModle", 1, "UNAVAILABLE")).toThrow(
      /Unknown Vertex AI method/,
    );
  });
});

/** Sampled Shapley over one path: the smallest explanation spec a custom-container model can carry. */
const explanationSpec = {
  parameters: { sampledShapleyAttribution: { pathCount: 1 } },
  metadata: { inputs: { x: {} }, outputs: { y: {} } },
};

describe("Explain with a deployed model id", () => {
  it("is served by the chosen deployed model whatever the traffic split, with its predictions", async () => {
    const endpoint = await echo.createEndpoint();
    const serving = await echo.deploy(endpoint, `${echo.modelName}@1`);
    const canary = await echo.deploy(endpoint, `${echo.modelName}@3`, {
      trafficSplit: { [serving]: 90, "0": 10 },
      explanationSpec,
    });
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, n) => {
        const [response] = await echo.predictions.explain({
          endpoint,
          deployedModelId: canary,
          instances: [toProtoValue({ n })],
        });
        return response;
      }),
    );
    for (const [n, response] of answers.entries()) {
      expect(response.deployedModelId).toBe(canary);
      expect(response.predictions?.map(fromProtoValue)).toEqual([{ version: "v3", instance: { n } }]);
      expect(response.explanations).toHaveLength(1);
    }
    // Production traffic is untouched.
    expect((await echo.getEndpoint(endpoint)).trafficSplit).toEqual({ [serving]: 90, [canary]: 10 });
  });

  it("refuses a deployed model without an explanation spec with FAILED_PRECONDITION, as Vertex AI does", async () => {
    const endpoint = await echo.createEndpoint();
    const plain = await echo.deploy(endpoint, `${echo.modelName}@2`);
    const error = await rejection(
      echo.predictions.explain({ endpoint, deployedModelId: plain, instances: [toProtoValue({ n: 1 })] }),
    );
    expect(error).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect((error as Error).message).toContain(`Deployed model ${plain} does not support explanation`);
  });

  it("needs aiplatform.endpoints.explain: Predict's permission is not enough", async () => {
    const checks: string[] = [];
    const guarded = await startVertexServer({
      storageApiEndpoint: "http://127.0.0.1:9",
      authorize: (_identity, permission) => {
        checks.push(permission);
        return permission === "aiplatform.endpoints.predict";
      },
    });
    const predictions = new PredictionServiceClient(localVertexClientOptions(guarded.address));
    try {
      const endpoint = `${guarded.parent}/endpoints/1`;
      const error = await rejection(
        predictions.explain({ endpoint, deployedModelId: "1", instances: [toProtoValue({ n: 1 })] }),
      );
      expect(error).toMatchObject({ code: status.PERMISSION_DENIED });
      expect((error as Error).message).toContain(
        `Permission 'aiplatform.endpoints.explain' denied on resource '//aiplatform.googleapis.com/${endpoint}'`,
      );
      expect(checks).toEqual(["aiplatform.endpoints.explain"]);
    } finally {
      await predictions.close();
      await guarded.close();
    }
  });
});
