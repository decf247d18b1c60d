// The example model trained for real, and the few Vertex AI calls that arrange endpoints for
// test/integration/verify-deployment.test.ts and the scale benchmarks, through the real clients against the local
// servers.
import { EndpointServiceClient } from "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js";
import { ModelServiceClient } from "@google-cloud/aiplatform/build/src/v1/model_service_client.js";
import { Storage } from "@google-cloud/storage";
import { storageObjectIO } from "../../examples/fraud-detector/object-io.js";
import { EXAMPLE_OBJECTS, MODEL_NAME } from "../../examples/fraud-detector/seed-data.js";
import { runTraining } from "../../examples/fraud-detector/train.js";
import { localVertexClientOptions } from "../../local/vertex/index.js";
import type { DeploymentReady } from "../../shared/contracts.js";
import { Label } from "../../shared/model-ports.js";
import { storageClientOptions } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import type { TestServers } from "./local-servers.js";

export interface VertexFixture {
  storage: Storage;
  models: ModelServiceClient;
  endpoints: EndpointServiceClient;
  /** Trains `commit` on the example data (or copies `from`'s trained model under `commit`, manifest rewritten). */
  train(commit: string, from?: string): Promise<void>;
  /** Trains `commit` on one of the example data objects (EXAMPLE_OBJECTS). */
  trainOn(commit: string, data: string): Promise<void>;
  upload(commit: string): Promise<{ model: string; versionId: string }>;
  newEndpoint(name: string): Promise<string>;
  deploy(
    endpoint: string,
    version: { model: string; versionId: string },
    id: string,
    trafficSplit: Record<string, number>,
    explanationSpec?: object,
  ): Promise<void>;
  close(): Promise<void>;
}

export function vertexFixture(servers: TestServers): VertexFixture {
  const config = servers.runtime().config;
  const modelConfig = config.models[MODEL_NAME];
  if (!modelConfig) throw new Error(`the example configuration has no ${MODEL_NAME}`);
  const storage = new Storage(storageClientOptions(loadSettings(servers.env), config.project));
  const options = localVertexClientOptions(servers.vertex.address);
  const models = new ModelServiceClient(options);
  const endpoints = new EndpointServiceClient(options);
  const bucket = storage.bucket(config.bucket);
  const modelDir = (commit: string) => `models/${MODEL_NAME}/${commit}/model/`;
  const { repository, serving } = modelConfig;

  async function trainOn(commit: string, data: string): Promise<void> {
    await runTraining(
      {
        data: `gs://${config.bucket}/${data}`,
        model: MODEL_NAME,
        commit,
        repository,
        servingContainer: serving.container,
        modelDir: `gs://${config.bucket}/${modelDir(commit)}`,
      },
      storageObjectIO(storage),
    );
  }

  return {
    storage,
    models,
    endpoints,
    trainOn,
    async train(commit, from) {
      if (from === undefined) return trainOn(commit, EXAMPLE_OBJECTS.train);
      const [files] = await bucket.getFiles({ prefix: `models/${MODEL_NAME}/${from}/` });
      for (const file of files) {
        const target = file.name.replace(`/${from}/`, `/${commit}/`);
        const [bytes] = await file.download();
        const data = file.name.endsWith("modelgate.json")
          ? JSON.stringify({ ...JSON.parse(bytes.toString("utf8")), commit })
          : bytes;
        await bucket.file(target).save(data, { resumable: false });
      }
    },
    async upload(commit) {
      const [operation] = await models.uploadModel({
        parent: servers.vertex.parent,
        model: {
          displayName: MODEL_NAME,
          artifactUri: `gs://${config.bucket}/${modelDir(commit)}`,
          containerSpec: { imageUri: modelConfig.serving.container },
          labels: { [Label.model]: MODEL_NAME, [Label.commit]: commit },
        },
      });
      const [uploaded] = await operation.promise();
      return { model: uploaded.model as string, versionId: uploaded.modelVersionId as string };
    },
    async newEndpoint(name) {
      const [operation] = await endpoints.createEndpoint({
        parent: servers.vertex.parent,
        endpoint: { displayName: name },
      });
      const [endpoint] = await operation.promise();
      return endpoint.name as string;
    },
    async deploy(endpoint, version, id, trafficSplit, explanationSpec) {
      const [operation] = await endpoints.deployModel({
        endpoint,
        deployedModel: {
          id,
          model: `${version.model}@${version.versionId}`,
          dedicatedResources: { machineSpec: { machineType: "n1-standard-2" }, minReplicaCount: 1 },
          ...(explanationSpec ? { explanationSpec } : {}),
        },
        trafficSplit,
      });
      await operation.promise();
    },
    async close() {
      await Promise.allSettled([models.close(), endpoints.close()]);
    },
  };
}

type Version = { model: string; versionId: string };

/** A canary to arrange: both versions uploaded, the endpoint made; `explanationSpec` makes the candidate explainable. */
export interface CanaryPlan {
  endpoint: string;
  serving: { commit: string; version: Version };
  candidate: { commit: string; version: Version };
  correlationId: string;
  causeId: string;
  explanationSpec?: object | undefined;
}

/**
 * Deploys the serving version with 100 %, then the candidate beside it at 10 % (the serving one keeps 90 %), as
 * deployModel leaves an endpoint, and returns the deployment-ready message deployModel publishes for it.
 */
export async function deployCanary(vertex: VertexFixture, plan: CanaryPlan): Promise<DeploymentReady> {
  const servingId = deployedModelId(MODEL_NAME, plan.serving.commit);
  const candidateId = deployedModelId(MODEL_NAME, plan.candidate.commit);
  await vertex.deploy(plan.endpoint, plan.serving.version, servingId, { "0": 100 });
  const split = { [servingId]: 90, "0": 10 };
  await vertex.deploy(plan.endpoint, plan.candidate.version, candidateId, split, plan.explanationSpec);
  return {
    schemaVersion: 1,
    correlationId: plan.correlationId,
    model: MODEL_NAME,
    commit: plan.candidate.commit,
    repository: "acme/fraud-detector",
    causedBy: [{ source: "pubsub:deployment-requested", id: plan.causeId }],
    createdAt: new Date().toISOString(),
    endpoint: plan.endpoint,
    modelResource: plan.candidate.version.model,
    versionId: plan.candidate.version.versionId,
    deployedModelId: candidateId,
    canaryPercent: 10,
    previousTrafficSplit: { [servingId]: 100 },
    previousDeployedModelId: servingId,
  };
}
