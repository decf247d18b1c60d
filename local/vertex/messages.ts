import type { ProtoTimestamp } from "./timestamps.js";

// The slices of the aiplatform v1 messages this server reads and writes, in the camelCase
// object form proto-loader and the client library share. Fields it passes through untouched
// (machine specs, explanation specs…) stay `unknown`.

export type Labels = Record<string, string>;

export interface RpcStatus {
  code: number;
  message: string;
}

export interface ContainerSpec {
  imageUri?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name?: string; value?: string }>;
}

export interface WorkerPoolSpec {
  containerSpec?: ContainerSpec;
  pythonPackageSpec?: unknown;
  machineSpec?: { machineType?: string };
  replicaCount?: string;
}

export interface CustomJob {
  name: string;
  displayName: string;
  jobSpec: {
    workerPoolSpecs?: WorkerPoolSpec[];
    baseOutputDirectory?: { outputUriPrefix?: string };
    [field: string]: unknown;
  };
  state: string;
  createTime: ProtoTimestamp;
  startTime?: ProtoTimestamp;
  endTime?: ProtoTimestamp;
  updateTime: ProtoTimestamp;
  error?: RpcStatus;
  labels?: Labels;
  [field: string]: unknown;
}

export interface ModelContainerSpec {
  imageUri?: string;
  [field: string]: unknown;
}

export interface Model {
  name: string;
  versionId: string;
  versionAliases: string[];
  versionCreateTime: ProtoTimestamp;
  versionUpdateTime: ProtoTimestamp;
  displayName: string;
  description?: string;
  versionDescription?: string;
  artifactUri: string;
  containerSpec: ModelContainerSpec;
  labels?: Labels;
  createTime: ProtoTimestamp;
  updateTime: ProtoTimestamp;
  [field: string]: unknown;
}

export interface DedicatedResources {
  machineSpec?: unknown;
  minReplicaCount?: number;
  maxReplicaCount?: number;
  [field: string]: unknown;
}

export interface DeployedModel {
  id: string;
  model: string;
  modelVersionId: string;
  displayName?: string;
  createTime: ProtoTimestamp;
  dedicatedResources?: DedicatedResources;
  automaticResources?: { minReplicaCount?: number; maxReplicaCount?: number };
  [field: string]: unknown;
}

export interface Endpoint {
  name: string;
  displayName: string;
  description?: string;
  deployedModels: DeployedModel[];
  trafficSplit: Record<string, number>;
  labels?: Labels;
  createTime: ProtoTimestamp;
  updateTime: ProtoTimestamp;
  etag: string;
  [field: string]: unknown;
}
