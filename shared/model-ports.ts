/**
 * The ports the model steps need from Vertex AI, named for what the steps do. Each has one real adapter on the
 * Google client library (shared/vertex/) and in-memory fakes in tests. Every method that calls Vertex AI returns
 * the full response (`raw`) so the step can put it in the ledger.
 */

/** Labels modelgate puts on every Vertex AI resource it creates, so a repeat finds what a previous attempt made. */
export const Label = {
  model: "modelgate-model",
  commit: "modelgate-commit",
  repository: "modelgate-repository",
  correlationId: "modelgate-correlation-id",
  verdict: "modelgate-verdict",
  managedBy: "managed-by",
} as const;

/** The Model Registry alias that follows the version serving production traffic (moved by rolloutModel). */
export const productionAlias = "production";

export interface TrainingJobSpec {
  displayName: string;
  container: string;
  command: string[];
  args: string[];
  env?: Record<string, string>;
  machineType: string;
  serviceAccount?: string;
  /** gs:// directory; Vertex sets AIP_MODEL_DIR to `<this>/model/`. */
  baseOutputDirectory: string;
  labels: Record<string, string>;
  timeoutSeconds: number;
}

export interface TrainingJob {
  /** `projects/…/locations/…/customJobs/<id>` */
  name: string;
  state: string;
  labels: Record<string, string>;
  raw: unknown;
}

/** Launches training as a Vertex AI CustomJob. */
export interface TrainingLauncher {
  /** Jobs whose labels include all of these (newest first). */
  findJobs(labels: Record<string, string>): Promise<TrainingJob[]>;
  createJob(spec: TrainingJobSpec): Promise<TrainingJob>;
}

export interface ModelVersion {
  /** `projects/…/locations/…/models/<id>` (no version suffix). */
  modelResource: string;
  versionId: string;
  displayName: string;
  aliases: string[];
  labels: Record<string, string>;
  artifactUri: string;
  raw: unknown;
}

export interface UploadVersionSpec {
  displayName: string;
  /** The existing parent model to add a version to; absent for the first version. */
  parentModel?: string;
  artifactUri: string;
  servingContainer: { imageUri: string; predictRoute?: string; healthRoute?: string };
  labels: Record<string, string>;
  aliases: string[];
  description?: string;
}

/** The Vertex AI Model Registry. */
export interface ModelRegistry {
  /** The parent model that holds this modelgate model's versions (found by label), or null before the first upload. */
  findParentModel(model: string): Promise<{ modelResource: string } | null>;
  /** Versions of a parent model whose labels include all of these. */
  findVersions(modelResource: string, labels: Record<string, string>): Promise<ModelVersion[]>;
  getVersion(modelResource: string, versionIdOrAlias: string): Promise<ModelVersion>;
  uploadVersion(spec: UploadVersionSpec): Promise<{ version: ModelVersion; raw: unknown }>;
  /** Adds and removes aliases on one version (an alias moves off any other version). */
  mergeAliases(modelResource: string, versionId: string, add: string[], remove: string[]): Promise<unknown>;
  /** Replaces one version's labels. */
  setLabels(modelResource: string, versionId: string, labels: Record<string, string>): Promise<unknown>;
}

export interface DeployedModelInfo {
  id: string;
  /** `projects/…/models/<id>` */
  modelResource: string;
  versionId: string;
  displayName: string;
}

export interface EndpointState {
  name: string;
  deployedModels: DeployedModelInfo[];
  /** deployed model id → percent; sums to 100 when anything is deployed. */
  trafficSplit: Record<string, number>;
  raw: unknown;
}

export interface DeploySpec {
  /** Deterministic id so a repeat finds the deployment a previous attempt made. */
  deployedModelId: string;
  modelResource: string;
  versionId: string;
  displayName: string;
  machineType: string;
  minReplicas: number;
  maxReplicas: number;
  /** The whole split after deployment; the new model is referred to by its own deployedModelId. */
  trafficSplit: Record<string, number>;
}

/** Deploys, re-splits traffic and undeploys on a Vertex AI endpoint. */
export interface EndpointDeployer {
  getEndpoint(endpoint: string): Promise<EndpointState>;
  deploy(endpoint: string, spec: DeploySpec): Promise<unknown>;
  setTrafficSplit(endpoint: string, split: Record<string, number>): Promise<unknown>;
  /** Undeploys; `trafficSplit` is the split that remains (required while the model has traffic). */
  undeploy(
    endpoint: string,
    deployedModelId: string,
    trafficSplit?: Record<string, number>,
  ): Promise<unknown>;
}

/** Online prediction through the live endpoint. */
export interface Predictor {
  predict(
    endpoint: string,
    instances: unknown[],
  ): Promise<{ deployedModelId: string; predictions: unknown[] }>;
}
