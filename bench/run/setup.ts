// Setup: the local servers, the manifest the ingress events point at, a candidate trained for real on the example
// data and deployed on endpoints of its own, and golden sets of each size.
import { EndpointServiceClient } from "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js";
import { ModelServiceClient } from "@google-cloud/aiplatform/build/src/v1/model_service_client.js";
import { Storage } from "@google-cloud/storage";
import { storageObjectIO } from "../../examples/fraud-detector/object-io.js";
import { EXAMPLE_OBJECTS, MODEL_NAME } from "../../examples/fraud-detector/seed-data.js";
import { runTraining } from "../../examples/fraud-detector/train.js";
import { type LocalServers, startLocalServers } from "../../local/servers.js";
import { identityOf } from "../../local/stack.js";
import { localVertexClientOptions } from "../../local/vertex/index.js";
import type { DeploymentReady } from "../../shared/contracts.js";
import { Label } from "../../shared/model-ports.js";
import { createRuntime, type Runtime } from "../../shared/runtime.js";
import { FunctionName } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import { config, configPath, goldenSizes, hex, model, tektonToken, webhookSecret } from "./context.js";
import { envelope, ingressCommit } from "./requests.js";

export interface Setup {
  servers: LocalServers;
  /** The environment of a function (or of "bare") started against the local servers. */
  env: (name: string) => Record<string, string>;
  candidateCommit: string;
  /** The candidate deployed on an endpoint of its own, for verification. */
  ready: DeploymentReady;
  /** The candidate deployed on the model's configured endpoint, for rolloutModel. */
  rolloutReady: DeploymentReady;
  artifactUri: string;
  /** Instances from the seeded golden set, for raw Predict. */
  sample: unknown[];
  /** Object name of the golden set of each size. */
  goldenSets: Map<number, string>;
  /** Generation of the ingress commit's manifest, which the finalize event names. */
  ingressManifestGeneration: string;
}

export async function setUp(): Promise<Setup> {
  const servers = await startLocalServers({ config, vertex: { operationDelayMs: 5 } });
  const env = (name: string): Record<string, string> => ({
    ...servers.env,
    MODELGATE_CONFIG: configPath,
    MODELGATE_IDENTITY: identityOf(config, name as FunctionName),
    GITHUB_WEBHOOK_SECRET: webhookSecret,
    TEKTON_SINK_TOKEN: tektonToken,
  });
  const runtime = createRuntime(env(FunctionName.verifyDeployment));
  const storage = new Storage({
    apiEndpoint: servers.env.STORAGE_EMULATOR_HOST ?? "",
    projectId: config.project,
  });
  const ingressManifestGeneration = await writeIngressManifest(runtime);
  const candidateCommit = `be${hex(38)}`;
  const artifactUri = `gs://${config.bucket}/models/${MODEL_NAME}/${candidateCommit}/model/`;
  await runTraining(
    {
      data: `gs://${config.bucket}/${EXAMPLE_OBJECTS.train}`,
      model: MODEL_NAME,
      commit: candidateCommit,
      repository: model.repository,
      servingContainer: model.serving.container,
      modelDir: artifactUri,
    },
    storageObjectIO(storage),
  );
  const { ready, rolloutReady } = await deployCandidate(servers, candidateCommit, artifactUri);
  const { sample, goldenSets } = await writeGoldenSets(runtime, storage);
  return {
    servers,
    env,
    candidateCommit,
    ready,
    rolloutReady,
    artifactUri,
    sample,
    goldenSets,
    ingressManifestGeneration,
  };
}

/** The manifest the Tekton and bucket events point at; returns its generation. */
async function writeIngressManifest(runtime: Runtime): Promise<string> {
  const manifest = {
    schemaVersion: 1,
    model: MODEL_NAME,
    commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
    repository: model.repository,
    framework: "scikit-learn",
    metrics: { accuracy: 0.93 },
    baseline: { kind: "numeric", binEdges: [0, 0.5, 1], counts: [80, 20] },
    serving: { container: model.serving.container, outputKey: "score" },
    artifactDir: "model/",
    created: new Date().toISOString(),
  };
  const written = await runtime.blobs.write(
    `models/${MODEL_NAME}/${ingressCommit}/modelgate.json`,
    JSON.stringify(manifest),
  );
  return written.written ? written.generation : "1";
}

/** Uploads the trained candidate and deploys it on a new endpoint and on the model's configured (empty) one. */
async function deployCandidate(servers: LocalServers, candidateCommit: string, modelDir: string) {
  const options = localVertexClientOptions(servers.vertex.address);
  const models = new ModelServiceClient(options);
  const endpoints = new EndpointServiceClient(options);
  const parent = servers.vertex.parent;
  const [upload] = await models.uploadModel({
    parent,
    model: {
      displayName: MODEL_NAME,
      artifactUri: modelDir,
      containerSpec: { imageUri: model.serving.container },
      labels: { [Label.model]: MODEL_NAME, [Label.commit]: candidateCommit },
    },
  });
  const [uploaded] = await upload.promise();
  const id = deployedModelId(MODEL_NAME, candidateCommit);
  const readyOn = async (name?: string): Promise<DeploymentReady> => {
    // rolloutModel acts only on the model's configured endpoint (startLocalServers created it, empty).
    let endpoint: { name?: string | null } = { name: `${parent}/endpoints/${model.endpoint}` };
    if (name) {
      const [created] = await endpoints.createEndpoint({ parent, endpoint: { displayName: name } });
      [endpoint] = await created.promise();
    }
    const [deploy] = await endpoints.deployModel({
      endpoint: endpoint.name ?? "",
      deployedModel: {
        id,
        model: `${uploaded.model}@${uploaded.modelVersionId}`,
        dedicatedResources: { machineSpec: { machineType: "n1-standard-2" }, minReplicaCount: 1 },
      },
      trafficSplit: { "0": 100 },
    });
    await deploy.promise();
    return {
      ...envelope(candidateCommit, "bench"),
      endpoint: endpoint.name ?? "",
      modelResource: uploaded.model ?? "",
      versionId: uploaded.modelVersionId ?? "",
      deployedModelId: id,
      canaryPercent: 100,
      previousTrafficSplit: {},
    };
  };
  const ready = await readyOn("bench-verify");
  const rolloutReady = await readyOn();
  await Promise.all([models.close(), endpoints.close()]);
  return { ready, rolloutReady };
}

/** Golden sets of each size, made from the seeded golden set's lines, and a sample of its instances. */
async function writeGoldenSets(runtime: Runtime, storage: Storage) {
  const seeded = (await runtime.blobs.read(EXAMPLE_OBJECTS.golden))?.data.toString("utf8") ?? "";
  const lines = seeded.split("\n").filter((line) => line.trim() !== "");
  const sample = lines.slice(0, 1000).map((line) => (JSON.parse(line) as { instance: unknown }).instance);
  const goldenSets = new Map<number, string>();
  for (const size of goldenSizes) {
    const chunks: string[] = [];
    for (let i = 0; i < size; i++) chunks.push(lines[i % lines.length] ?? "");
    const name = `golden/bench/${size}.jsonl`;
    await storage
      .bucket(config.bucket)
      .file(name)
      .save(Buffer.from(`${chunks.join("\n")}\n`), { resumable: false });
    goldenSets.set(size, name);
  }
  return { sample, goldenSets };
}
