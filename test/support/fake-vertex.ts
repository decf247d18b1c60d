import { NotFoundError, TransientError, UpstreamError } from "../../shared/errors.js";
import {
  type DeploySpec,
  type EndpointDeployer,
  type EndpointState,
  Label,
  type ModelRegistry,
  type ModelVersion,
  type TrainingJob,
  type TrainingJobSpec,
  type TrainingLauncher,
  type UploadVersionSpec,
} from "../../shared/model-ports.js";
import { provenanceLabels } from "../../shared/vertex/labels.js";

/** The port methods a test can fault or watch. */
export type FakeVertexMethod =
  | "findJobs"
  | "createJob"
  | "findParentModel"
  | "findVersions"
  | "getVersion"
  | "uploadVersion"
  | "mergeAliases"
  | "setLabels"
  | "getEndpoint"
  | "deploy"
  | "setTrafficSplit"
  | "undeploy";

interface FakeEndpoint {
  name: string;
  deployedModels: Array<{ id: string; modelResource: string; versionId: string; displayName: string }>;
  trafficSplit: Record<string, number>;
}

const labelKeyPattern = /^[a-z][a-z0-9_-]{0,62}$/;
const labelValuePattern = /^[a-z0-9_-]{0,63}$/;
const aliasPattern = /^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$/;
const deployedModelIdPattern = /^\d{1,10}$/;

/**
 * In-memory Vertex AI behind the model-step ports (TrainingLauncher, ModelRegistry, EndpointDeployer), with the
 * rules of the real service that the steps rely on: label keys and values as Vertex accepts them; numbered versions
 * per model with a `default` alias on the first and aliases unique per model (adding one moves it); DeployedModel
 * ids of 1–10 digits, unique per endpoint; every traffic split whole percentages adding up to 100 (or empty);
 * undeploy refused while the model still has traffic. Errors are the ones the real adapters raise (NotFoundError,
 * UpstreamError for INVALID_ARGUMENT/FAILED_PRECONDITION, TransientError). State is returned as copies.
 */
export class FakeVertex implements TrainingLauncher, ModelRegistry, EndpointDeployer {
  readonly parent: string;
  /** Every port call, in order, with its arguments. */
  readonly calls: Array<{ method: FakeVertexMethod; args: unknown[] }> = [];
  readonly jobs: Array<TrainingJob & { spec: TrainingJobSpec; created: number }> = [];
  private readonly models = new Map<string, { versions: ModelVersion[] }>();
  private readonly endpoints = new Map<string, FakeEndpoint>();
  private readonly failures = new Map<FakeVertexMethod, Error[]>();
  private readonly crashes = new Map<FakeVertexMethod, number>();
  private clock = 0;

  constructor(options: { project?: string; region?: string } = {}) {
    this.parent = `projects/${options.project ?? "local-project"}/locations/${options.region ?? "us-central1"}`;
  }

  // ---- test controls ----

  /** The next `count` calls of `method` fail with `error` before doing anything. */
  failNext(method: FakeVertexMethod, error: Error, count = 1): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...Array(count).fill(error)]);
  }

  /** The next `count` calls of `method` take effect, then throw a TransientError: the caller died after the call. */
  crashAfter(method: FakeVertexMethod, count = 1): void {
    this.crashes.set(method, (this.crashes.get(method) ?? 0) + count);
  }

  /** Registers a version of `model` trained from `commit`, labelled as registerModel labels it. */
  async registerCommit(commit: string, model = "fraud-detector"): Promise<ModelVersion> {
    const parent = await this.findParentModel(model);
    const { version } = await this.uploadVersion({
      displayName: model,
      ...(parent ? { parentModel: parent.modelResource } : {}),
      artifactUri: `gs://modelgate-artifacts/models/${model}/${commit}/model/`,
      servingContainer: { imageUri: "serving" },
      labels: provenanceLabels({ model, commit, repository: "acme/x", correlationId: "c" }),
      aliases: [],
    });
    return version;
  }

  /** Creates an empty endpoint; returns its full resource name. */
  addEndpoint(id: string): string {
    const name = `${this.parent}/endpoints/${id}`;
    this.endpoints.set(name, { name, deployedModels: [], trafficSplit: {} });
    return name;
  }

  /** The endpoint's current state, as a copy. */
  endpoint(name: string): FakeEndpoint {
    return structuredClone(this.requireEndpoint(name));
  }

  /** Every version of a model resource, as copies. */
  versions(modelResource: string): ModelVersion[] {
    return structuredClone(this.models.get(modelResource)?.versions ?? []);
  }

  /** How many times `method` was called. */
  count(method: FakeVertexMethod): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  // ---- TrainingLauncher ----

  async findJobs(labels: Record<string, string>): Promise<TrainingJob[]> {
    return this.call("findJobs", [labels], () =>
      this.jobs
        .filter((job) => Object.entries(labels).every(([k, v]) => job.labels[k] === v))
        .sort((a, b) => b.created - a.created)
        .map(({ name, state, labels: l, raw }) => ({ name, state, labels: l, raw })),
    );
  }

  async createJob(spec: TrainingJobSpec): Promise<TrainingJob> {
    return this.call("createJob", [spec], () => {
      if (!spec.displayName) throw invalid("Field `custom_job.display_name` is required.");
      if (!spec.container)
        throw invalid("Field `worker_pool_specs[0].container_spec.image_uri` is required.");
      if (!/^gs:\/\/[^/]+\//.test(spec.baseOutputDirectory)) {
        throw invalid(`base_output_directory must be a gs:// URI, got ${spec.baseOutputDirectory}`);
      }
      checkLabels(spec.labels);
      const name = `${this.parent}/customJobs/${7_000_000_000 + this.jobs.length + 1}`;
      const created = ++this.clock;
      const raw = {
        name,
        displayName: spec.displayName,
        state: "JOB_STATE_PENDING",
        labels: { ...spec.labels },
        jobSpec: {
          workerPoolSpecs: [
            {
              machineSpec: { machineType: spec.machineType },
              replicaCount: "1",
              containerSpec: { imageUri: spec.container, command: spec.command, args: spec.args },
            },
          ],
          baseOutputDirectory: { outputUriPrefix: spec.baseOutputDirectory },
          serviceAccount: spec.serviceAccount ?? "",
        },
        createTime: { seconds: String(created) },
      };
      const job = { name, state: "JOB_STATE_PENDING", labels: { ...spec.labels }, raw, spec, created };
      this.jobs.push(job);
      return { name, state: job.state, labels: { ...job.labels }, raw };
    });
  }

  // ---- ModelRegistry ----

  async findParentModel(model: string): Promise<{ modelResource: string } | null> {
    return this.call("findParentModel", [model], () => {
      for (const [modelResource, entry] of this.models) {
        const defaultVersion = entry.versions.find((v) => v.aliases.includes("default"));
        if (defaultVersion?.labels[Label.model] === model) return { modelResource };
      }
      return null;
    });
  }

  async findVersions(modelResource: string, labels: Record<string, string>): Promise<ModelVersion[]> {
    return this.call("findVersions", [modelResource, labels], () =>
      this.requireModel(modelResource).versions.filter((version) =>
        Object.entries(labels).every(([k, v]) => version.labels[k] === v),
      ),
    );
  }

  async getVersion(modelResource: string, versionIdOrAlias: string): Promise<ModelVersion> {
    return this.call("getVersion", [modelResource, versionIdOrAlias], () =>
      this.requireVersion(modelResource, versionIdOrAlias),
    );
  }

  async uploadVersion(spec: UploadVersionSpec): Promise<{ version: ModelVersion; raw: unknown }> {
    return this.call("uploadVersion", [spec], () => {
      if (!spec.displayName) throw invalid("Field `model.display_name` is required.");
      if (!/^gs:\/\/[^/]+/.test(spec.artifactUri)) throw invalid("Field `model.artifact_uri` must be gs://.");
      if (!spec.servingContainer.imageUri)
        throw invalid("Field `model.container_spec.image_uri` is required.");
      checkLabels(spec.labels);
      for (const alias of spec.aliases) checkAlias(alias);
      let modelResource: string;
      if (spec.parentModel) {
        modelResource = spec.parentModel;
        this.requireModel(modelResource);
      } else {
        // As the adapter does: the first version creates the parent with the model name as its id.
        modelResource = `${this.parent}/models/${spec.labels[Label.model] ?? `m${this.models.size + 1}`}`;
        if (this.models.has(modelResource)) {
          throw new TransientError(
            "UploadModel failed: the parent model was created by a concurrent registration",
          );
        }
        this.models.set(modelResource, { versions: [] });
      }
      const entry = this.requireModel(modelResource);
      const versionId = String(entry.versions.length + 1);
      const version: ModelVersion = {
        modelResource,
        versionId,
        displayName: spec.displayName,
        aliases: [],
        labels: { ...spec.labels },
        artifactUri: spec.artifactUri,
        raw: {},
      };
      entry.versions.push(version);
      const aliases = entry.versions.length === 1 ? ["default", ...spec.aliases] : spec.aliases;
      for (const alias of aliases) moveAlias(entry.versions, version, alias);
      refreshRaw(version, spec.servingContainer.imageUri);
      return {
        version: structuredClone(version),
        raw: {
          operation: `${modelResource}/operations/${++this.clock}`,
          response: { model: modelResource, modelVersionId: versionId },
        },
      };
    });
  }

  async mergeAliases(
    modelResource: string,
    versionId: string,
    add: string[],
    remove: string[],
  ): Promise<unknown> {
    return this.call("mergeAliases", [modelResource, versionId, add, remove], () => {
      if (!/^\d+$/.test(versionId)) throw invalid(`MergeVersionAliases needs a version id, got ${versionId}`);
      if (add.length + remove.length === 0) throw invalid("Field `version_aliases` must not be empty.");
      [...add, ...remove].forEach(checkAlias);
      if (remove.includes("default")) throw invalid("The `default` version alias cannot be removed.");
      const entry = this.requireModel(modelResource);
      const version = this.requireVersion(modelResource, versionId, false);
      version.aliases = version.aliases.filter((alias) => !remove.includes(alias) || add.includes(alias));
      for (const alias of add) if (!remove.includes(alias)) moveAlias(entry.versions, version, alias);
      refreshRaw(version);
      return structuredClone(version.raw);
    });
  }

  async setLabels(
    modelResource: string,
    versionId: string,
    labels: Record<string, string>,
  ): Promise<unknown> {
    return this.call("setLabels", [modelResource, versionId, labels], () => {
      checkLabels(labels);
      const version = this.requireVersion(modelResource, versionId, false);
      version.labels = { ...labels };
      refreshRaw(version);
      return structuredClone(version.raw);
    });
  }

  // ---- EndpointDeployer ----

  async getEndpoint(endpoint: string): Promise<EndpointState> {
    return this.call("getEndpoint", [endpoint], () => {
      const found = this.requireEndpoint(endpoint);
      return { ...structuredClone(found), raw: structuredClone(found) };
    });
  }

  async deploy(endpoint: string, spec: DeploySpec): Promise<unknown> {
    return this.call("deploy", [endpoint, spec], () => {
      const target = this.requireEndpoint(endpoint);
      if (!deployedModelIdPattern.test(spec.deployedModelId)) {
        throw invalid(`Field \`deployed_model.id\` must be 1-10 digits, got \`${spec.deployedModelId}\`.`);
      }
      if (target.deployedModels.some((d) => d.id === spec.deployedModelId)) {
        // What the adapter makes of ALREADY_EXISTS for its deterministic id.
        throw new TransientError(`DeployModel failed: deployed model ${spec.deployedModelId} already exists`);
      }
      const version = this.requireVersion(spec.modelResource, spec.versionId);
      if (!spec.machineType) throw invalid("machine_spec.machine_type is required");
      if (spec.minReplicas < 1 || spec.maxReplicas < spec.minReplicas) throw invalid("bad replica counts");
      const ids = new Set([...target.deployedModels.map((d) => d.id), spec.deployedModelId]);
      const split =
        Object.keys(spec.trafficSplit).length === 0 ? undefined : checkSplit(spec.trafficSplit, ids, false);
      const deployed = {
        id: spec.deployedModelId,
        modelResource: spec.modelResource,
        versionId: version.versionId,
        displayName: spec.displayName,
      };
      target.deployedModels.push(deployed);
      if (split) target.trafficSplit = split;
      else if (target.deployedModels.length === 1) target.trafficSplit = { [deployed.id]: 100 };
      return {
        operation: `${endpoint}/operations/${++this.clock}`,
        response: { deployedModel: { ...deployed } },
      };
    });
  }

  async setTrafficSplit(endpoint: string, split: Record<string, number>): Promise<unknown> {
    return this.call("setTrafficSplit", [endpoint, split], () => {
      const target = this.requireEndpoint(endpoint);
      target.trafficSplit = checkSplit(split, new Set(target.deployedModels.map((d) => d.id)), true);
      return structuredClone(target);
    });
  }

  async undeploy(
    endpoint: string,
    deployedModelId: string,
    trafficSplit?: Record<string, number>,
  ): Promise<unknown> {
    return this.call("undeploy", [endpoint, deployedModelId, trafficSplit], () => {
      const target = this.requireEndpoint(endpoint);
      if (!target.deployedModels.some((d) => d.id === deployedModelId)) {
        throw new NotFoundError(`DeployedModel ${deployedModelId} not found on ${endpoint}`);
      }
      const remaining = new Set(
        target.deployedModels.map((d) => d.id).filter((id) => id !== deployedModelId),
      );
      let next: Record<string, number>;
      if (trafficSplit && Object.keys(trafficSplit).length > 0) {
        if ((trafficSplit[deployedModelId] ?? 0) > 0)
          throw invalid("traffic_split gives the undeployed model a share");
        const { [deployedModelId]: _gone, ...others } = trafficSplit;
        next = checkSplit(others, remaining, remaining.size === 0);
      } else if (remaining.size === 0) {
        next = {};
      } else {
        const share = target.trafficSplit[deployedModelId] ?? 0;
        if (share > 0) {
          throw new UpstreamError(
            `UndeployModel failed: 9 FAILED_PRECONDITION: DeployedModel ${deployedModelId} still receives ${share}% of the traffic`,
          );
        }
        const { [deployedModelId]: _gone, ...others } = target.trafficSplit;
        next = others;
      }
      target.deployedModels = target.deployedModels.filter((d) => d.id !== deployedModelId);
      target.trafficSplit = next;
      return { operation: `${endpoint}/operations/${++this.clock}`, response: {} };
    });
  }

  // ---- internals ----

  private async call<T>(method: FakeVertexMethod, args: unknown[], effect: () => T): Promise<T> {
    this.calls.push({ method, args: structuredClone(args) });
    const queued = this.failures.get(method);
    const failure = queued?.shift();
    if (failure) throw failure;
    const result = structuredClone(effect());
    const crashes = this.crashes.get(method) ?? 0;
    if (crashes > 0) {
      this.crashes.set(method, crashes - 1);
      throw new TransientError(`${method}: the instance went away after the call took effect`);
    }
    return result;
  }

  private requireModel(modelResource: string): { versions: ModelVersion[] } {
    const entry = this.models.get(modelResource);
    if (!entry) throw new NotFoundError(`Model ${modelResource} not found`);
    return entry;
  }

  private requireVersion(modelResource: string, versionIdOrAlias: string, copy = true): ModelVersion {
    const version = this.requireModel(modelResource).versions.find(
      (v) => v.versionId === versionIdOrAlias || v.aliases.includes(versionIdOrAlias),
    );
    if (!version) throw new NotFoundError(`Model ${modelResource}@${versionIdOrAlias} not found`);
    return copy ? structuredClone(version) : version;
  }

  private requireEndpoint(name: string): FakeEndpoint {
    const found = this.endpoints.get(name);
    if (!found) throw new NotFoundError(`Endpoint ${name} not found`);
    return found;
  }
}

function invalid(message: string): UpstreamError {
  return new UpstreamError(`3 INVALID_ARGUMENT: ${message}`, { details: { grpcCode: 3 } });
}

function checkLabels(labels: Record<string, string>): void {
  for (const [key, value] of Object.entries(labels)) {
    if (!labelKeyPattern.test(key)) throw invalid(`label key ${JSON.stringify(key)} is invalid`);
    if (!labelValuePattern.test(value))
      throw invalid(`label value ${JSON.stringify(value)} of ${key} is invalid`);
  }
}

function checkAlias(alias: string): void {
  if (!aliasPattern.test(alias)) throw invalid(`version alias ${JSON.stringify(alias)} is invalid`);
}

function moveAlias(versions: ModelVersion[], version: ModelVersion, alias: string): void {
  for (const other of versions) {
    if (other !== version && other.aliases.includes(alias)) {
      other.aliases = other.aliases.filter((a) => a !== alias);
      refreshRaw(other);
    }
  }
  if (!version.aliases.includes(alias)) version.aliases.push(alias);
}

function refreshRaw(version: ModelVersion, imageUri?: string): void {
  const previous = version.raw as { containerSpec?: { imageUri?: string } };
  version.raw = {
    name: version.modelResource,
    versionId: version.versionId,
    displayName: version.displayName,
    versionAliases: [...version.aliases],
    labels: { ...version.labels },
    artifactUri: version.artifactUri,
    containerSpec: { imageUri: imageUri ?? previous.containerSpec?.imageUri ?? "" },
  };
}

function checkSplit(
  split: Record<string, number>,
  allowed: ReadonlySet<string>,
  allowEmpty: boolean,
): Record<string, number> {
  const entries = Object.entries(split);
  if (entries.length === 0) {
    if (allowEmpty) return {};
    throw invalid("traffic_split must not be empty while models are deployed");
  }
  for (const [id, percent] of entries) {
    if (!allowed.has(id)) throw invalid(`traffic_split names ${id}, which is not deployed`);
    if (!Number.isInteger(percent) || percent < 0 || percent > 100)
      throw invalid(`traffic_split gives ${id} ${percent}%`);
  }
  const sum = entries.reduce((s, [, p]) => s + p, 0);
  if (sum !== 100) throw invalid(`traffic_split must add up to 100, got ${sum}`);
  return Object.fromEntries(entries);
}
