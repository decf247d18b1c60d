import { EndpointServiceClient } from "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js";
import { ModelServiceClient } from "@google-cloud/aiplatform/build/src/v1/model_service_client.js";
import { Storage } from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LocalStorageServer,
  localStorageClientOptions,
  startStorageServer,
} from "../../local/storage/index.js";
import {
  type LocalVertexServer,
  localVertexClientOptions,
  type PredictorFactory,
  startVertexServer,
} from "../../local/vertex/index.js";

// Found by the chaos suite (seed 1): a DeployModel whose long-running operation failed kept its deployed model id
// reserved, so every retry with modelgate's deterministic id got ALREADY_EXISTS until the message dead-lettered.
// A failed operation must leave nothing behind, the id included.
const BUCKET = "chaos-regression";
const IMAGE = "local/echo:1";
const echo: PredictorFactory = async () => ({ predict: (instances) => instances });

describe("local Vertex AI: a failed DeployModel operation", () => {
  let storageServer: LocalStorageServer;
  let server: LocalVertexServer;
  let endpoints: EndpointServiceClient;
  let models: ModelServiceClient;

  beforeAll(async () => {
    storageServer = await startStorageServer({});
    storageServer.createBucket(BUCKET);
    await new Storage(localStorageClientOptions(storageServer.url))
      .bucket(BUCKET)
      .file("models/echo/weights.json")
      .save("{}");
    server = await startVertexServer({
      storageApiEndpoint: storageServer.url,
      predictors: { [IMAGE]: echo },
      operationDelayMs: 5,
    });
    const options = localVertexClientOptions(server.address);
    endpoints = new EndpointServiceClient(options);
    models = new ModelServiceClient(options);
  });

  afterAll(async () => {
    await Promise.all([endpoints?.close(), models?.close()]);
    await server?.close();
    await storageServer?.close();
  });

  it("releases the deployed model id, so a retry with the same id deploys", async () => {
    const [upload] = await models.uploadModel({
      parent: server.parent,
      model: {
        displayName: "echo",
        artifactUri: `gs://${BUCKET}/models/echo/`,
        containerSpec: { imageUri: IMAGE },
      },
    });
    const [uploaded] = await upload.promise();
    const [create] = await endpoints.createEndpoint({
      parent: server.parent,
      endpointId: "regression",
      endpoint: { displayName: "regression" },
    });
    const [endpoint] = await create.promise();
    const deploy = () =>
      endpoints.deployModel({
        endpoint: endpoint.name ?? "",
        deployedModel: {
          id: "4242424242",
          model: uploaded.model ?? "",
          dedicatedResources: {
            machineSpec: { machineType: "n1-standard-2" },
            minReplicaCount: 1,
            maxReplicaCount: 1,
          },
        },
      });

    server.faults.failOperation("DeployModel", 1);
    const [failing] = await deploy();
    await expect(failing.promise()).rejects.toThrow(/Injected failure/);

    const [retry] = await deploy();
    await retry.promise();
    const [state] = await endpoints.getEndpoint({ name: endpoint.name ?? "" });
    expect(state.deployedModels?.map((d) => d.id)).toEqual(["4242424242"]);
    expect(state.trafficSplit).toEqual({ "4242424242": 100 });
  });
});
