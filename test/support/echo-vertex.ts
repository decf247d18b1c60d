import { EndpointServiceClient } from "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js";
import { ModelServiceClient } from "@google-cloud/aiplatform/build/src/v1/model_service_client.js";
import { PredictionServiceClient } from "@google-cloud/aiplatform/build/src/v1/prediction_service_client.js";
import { Storage } from "@google-cloud/storage";
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
  toProtoValue,
} from "../../local/vertex/index.js";
import { useStarted } from "./use-started.js";

export const ECHO_IMAGE = "local/echo-server:1";
export const dedicated = {
  machineSpec: { machineType: "n1-standard-2" },
  minReplicaCount: 1,
  maxReplicaCount: 1,
};

// A model server that reads its "weights" from the artifact directory, so each version answers
// differently and the tests can tell which one served a request.
const echoPredictor: PredictorFactory = async (readArtifact) => {
  const { version } = JSON.parse((await readArtifact("weights.json")).toString("utf8")) as {
    version: string;
  };
  return { predict: (instances) => instances.map((instance) => ({ version, instance })) };
};

/**
 * The local Vertex AI server over a local bucket with one "echo" model of three versions (v1–v3), each answering
 * with its version, and the real endpoint, model and prediction clients on it; for the endpoint and Predict tests.
 */
export interface EchoVertex {
  storageServer: LocalStorageServer;
  server: LocalVertexServer;
  endpoints: EndpointServiceClient;
  models: ModelServiceClient;
  predictions: PredictionServiceClient;
  /** The echo model (v1; v2 and v3 are its later versions). */
  modelName: string;
  uploadVersion(version: string, parentModel?: string): Promise<string>;
  createEndpoint(labels?: Record<string, string>): Promise<string>;
  deploy(
    endpoint: string,
    model: string,
    extra?: { id?: string; trafficSplit?: Record<string, number>; explanationSpec?: object },
  ): Promise<string>;
  getEndpoint(name: string): ReturnType<typeof getEndpointOf>;
  predict(endpoint: string, instances: unknown[]): ReturnType<typeof predictOf>;
  close(): Promise<void>;
}

async function getEndpointOf(endpoints: EndpointServiceClient, name: string) {
  const [endpoint] = await endpoints.getEndpoint({ name });
  return endpoint;
}

async function predictOf(predictions: PredictionServiceClient, endpoint: string, instances: unknown[]) {
  const [response] = await predictions.predict({ endpoint, instances: instances.map(toProtoValue) });
  return response;
}

export async function startEchoVertex(bucket: string): Promise<EchoVertex> {
  const storageServer = await startStorageServer({});
  storageServer.createBucket(bucket);
  const storage = new Storage(localStorageClientOptions(storageServer.url));
  for (const version of ["v1", "v2", "v3"]) {
    await storage
      .bucket(bucket)
      .file(`models/echo/${version}/weights.json`)
      .save(JSON.stringify({ version }));
  }
  const server = await startVertexServer({
    storageApiEndpoint: storageServer.url,
    predictors: { [ECHO_IMAGE]: echoPredictor },
    operationDelayMs: 5,
    maxInstancesPerRequest: 100,
  });
  const options = localVertexClientOptions(server.address);
  const endpoints = new EndpointServiceClient(options);
  const models = new ModelServiceClient(options);
  const predictions = new PredictionServiceClient(options);

  const uploadVersion = async (version: string, parentModel?: string): Promise<string> => {
    const [operation] = await models.uploadModel({
      parent: server.parent,
      ...(parentModel ? { parentModel } : {}),
      model: {
        displayName: "echo",
        artifactUri: `gs://${bucket}/models/echo/${version}/`,
        containerSpec: { imageUri: ECHO_IMAGE },
      },
    });
    const [response] = await operation.promise();
    return response.model as string;
  };
  const modelName = await uploadVersion("v1");
  await uploadVersion("v2", modelName);
  await uploadVersion("v3", modelName);

  return {
    storageServer,
    server,
    endpoints,
    models,
    predictions,
    modelName,
    uploadVersion,
    async createEndpoint(labels = {}) {
      const [operation] = await endpoints.createEndpoint({
        parent: server.parent,
        endpoint: { displayName: "echo-endpoint", labels },
      });
      const [endpoint] = await operation.promise();
      return endpoint.name as string;
    },
    async deploy(endpoint, model, extra = {}) {
      const [operation] = await endpoints.deployModel({
        endpoint,
        deployedModel: {
          model,
          dedicatedResources: dedicated,
          ...(extra.id ? { id: extra.id } : {}),
          ...(extra.explanationSpec ? { explanationSpec: extra.explanationSpec } : {}),
        },
        ...(extra.trafficSplit ? { trafficSplit: extra.trafficSplit } : {}),
      });
      const [response] = await operation.promise();
      return response.deployedModel?.id as string;
    },
    getEndpoint: (name) => getEndpointOf(endpoints, name),
    predict: (endpoint, instances) => predictOf(predictions, endpoint, instances),
    async close() {
      await Promise.all([endpoints.close(), models.close(), predictions.close()]);
      await server.close();
      await storageServer.close();
    },
  };
}

/** The echo set-up, started before the file's tests and closed after them (see useStarted). */
export function useEchoVertex(bucket: string): EchoVertex {
  return useStarted("the echo Vertex AI set-up", () => startEchoVertex(bucket));
}
