import { EndpointServiceClient } from "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js";
import { JobServiceClient } from "@google-cloud/aiplatform/build/src/v1/job_service_client.js";
import { ModelServiceClient } from "@google-cloud/aiplatform/build/src/v1/model_service_client.js";
import { PredictionServiceClient } from "@google-cloud/aiplatform/build/src/v1/prediction_service_client.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGoldenExamples } from "../../examples/fraud-detector/golden.js";
import { loadPredictor } from "../../examples/fraud-detector/predictor.js";
import { EXAMPLE_OBJECTS, seedExampleData } from "../../examples/fraud-detector/seed-data.js";
import {
  fromProtoValue,
  type LocalVertexServer,
  localVertexClientOptions,
  toProtoValue,
} from "../../local/vertex/index.js";
import { eventually } from "../support/eventually.js";
import { startVertexOverBucket, type VertexOverBucket } from "../support/vertex-over-bucket.js";

const BUCKET = "vertex-example-test";
const TRAINER_IMAGE = "europe-docker.pkg.dev/modelgate/training/fraud-detector:1";
const SERVING_IMAGE = "europe-docker.pkg.dev/modelgate/serving/fraud-detector:1";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const MODEL_DIR = `models/fraud-detector/${COMMIT}`;

let servers: VertexOverBucket;
let server: LocalVertexServer;
let jobs: JobServiceClient;
let models: ModelServiceClient;
let endpoints: EndpointServiceClient;
let predictions: PredictionServiceClient;

beforeAll(async () => {
  servers = await startVertexOverBucket(BUCKET, {
    trainers: {
      [TRAINER_IMAGE]: { command: ["node", "--import", "tsx", "examples/fraud-detector/train.ts"] },
    },
    predictors: { [SERVING_IMAGE]: loadPredictor },
  });
  server = servers.server;
  await seedExampleData(servers.storage, BUCKET, { trainRows: 2_000, goldenRows: 300 });
  const options = localVertexClientOptions(server.address);
  jobs = new JobServiceClient(options);
  models = new ModelServiceClient(options);
  endpoints = new EndpointServiceClient(options);
  predictions = new PredictionServiceClient(options);
});

afterAll(async () => {
  await Promise.all([jobs?.close(), models?.close(), endpoints?.close(), predictions?.close()]);
  await servers?.close();
});

describe("the example fraud detector on the local Vertex AI server", () => {
  it("trains in a CustomJob, registers, deploys and serves predictions from local Cloud Storage", async () => {
    const [job] = await jobs.createCustomJob({
      parent: server.parent,
      customJob: {
        displayName: `fraud-detector-${COMMIT.slice(0, 7)}`,
        labels: { "modelgate-model": "fraud-detector", "modelgate-commit": COMMIT },
        jobSpec: {
          baseOutputDirectory: { outputUriPrefix: `gs://${BUCKET}/${MODEL_DIR}/` },
          workerPoolSpecs: [
            {
              machineSpec: { machineType: "n1-standard-4" },
              replicaCount: 1,
              containerSpec: {
                imageUri: TRAINER_IMAGE,
                args: [
                  "--data",
                  `gs://${BUCKET}/${EXAMPLE_OBJECTS.train}`,
                  "--model",
                  "fraud-detector",
                  "--commit",
                  COMMIT,
                  "--repository",
                  "acme/fraud",
                  "--serving-container",
                  SERVING_IMAGE,
                ],
              },
            },
          ],
        },
      },
    });
    let state = String(job.state);
    await eventually(
      "the example training job to succeed",
      async () => {
        const [current] = await jobs.getCustomJob({ name: job.name as string });
        state = String(current.state);
        if (state === "JOB_STATE_FAILED") throw new Error(`training failed: ${current.error?.message}`);
        return state === "JOB_STATE_SUCCEEDED" ? state : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 25, detail: () => `job state ${state}` },
    );

    const [files] = await servers.storage.bucket(BUCKET).getFiles({ prefix: `${MODEL_DIR}/` });
    expect(files.map((file) => file.name).sort()).toEqual([
      `${MODEL_DIR}/model/model.json`,
      `${MODEL_DIR}/modelgate.json`,
    ]);
    const [manifestBytes] = await servers.storage
      .bucket(BUCKET)
      .file(`${MODEL_DIR}/modelgate.json`)
      .download();
    const manifest = JSON.parse(manifestBytes.toString("utf8")) as {
      model: string;
      commit: string;
      serving: { container: string };
      metrics: { accuracy: number };
    };
    expect(manifest).toMatchObject({
      model: "fraud-detector",
      commit: COMMIT,
      serving: { container: SERVING_IMAGE },
    });

    const [upload] = await models.uploadModel({
      parent: server.parent,
      model: {
        displayName: "fraud-detector",
        artifactUri: `gs://${BUCKET}/${MODEL_DIR}/model/`,
        containerSpec: { imageUri: manifest.serving.container },
        labels: { "modelgate-commit": COMMIT },
      },
    });
    const [uploaded] = await upload.promise();
    const [create] = await endpoints.createEndpoint({
      parent: server.parent,
      endpoint: { displayName: "fraud" },
    });
    const [endpoint] = await create.promise();
    const [deploy] = await endpoints.deployModel({
      endpoint: endpoint.name as string,
      deployedModel: {
        model: `${uploaded.model}@${uploaded.modelVersionId}`,
        dedicatedResources: { machineSpec: { machineType: "n1-standard-2" }, minReplicaCount: 1 },
      },
    });
    await deploy.promise();

    // The golden set through the endpoint, 100 instances per request.
    const golden = buildGoldenExamples({ count: 300 });
    let correct = 0;
    for (let start = 0; start < golden.length; start += 100) {
      const batch = golden.slice(start, start + 100);
      const [response] = await predictions.predict({
        endpoint: endpoint.name as string,
        instances: batch.map((example) => toProtoValue(example.instance)),
      });
      expect(response.modelVersionId).toBe("1");
      const scored = (response.predictions ?? []).map(fromProtoValue) as Array<{
        score: number;
        label: number;
      }>;
      expect(scored).toHaveLength(batch.length);
      scored.forEach((prediction, i) => {
        expect(prediction.score).toBeGreaterThanOrEqual(0);
        expect(prediction.score).toBeLessThanOrEqual(1);
        if (prediction.label === batch[i]?.label) correct += 1;
      });
    }
    // The served model is the trained one: its golden accuracy is close to the trainer's own.
    expect(correct / golden.length).toBeGreaterThan(manifest.metrics.accuracy - 0.1);

    // A bad instance is refused whole, with the predictor's message.
    await expect(
      predictions.predict({
        endpoint: endpoint.name as string,
        instances: [toProtoValue({ amount: "lots" })],
      }),
    ).rejects.toMatchObject({ code: 3, details: expect.stringContaining("instances[0]") });
  });
});
