import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "./errors.js";
import { matchesFilter, parseListFilter } from "./list-filter.js";
import type { DeployedModel, Endpoint, Model } from "./messages.js";
import type { ModelRegistry } from "./model-registry.js";
import { paginate } from "./pagination.js";
import type { LocationScope } from "./resource-names.js";
import { timestamp } from "./timestamps.js";
import { checkTrafficSplit } from "./traffic-split.js";

const endpointIdPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What happens to a model server when a model is deployed or undeployed (the predict router). */
export interface ModelServing {
  /** Starts serving: resolves once the predictor is loaded, throws if it cannot be. */
  load(deployed: DeployedModel, model: Model): Promise<void>;
  unload(deployedModelId: string): void;
}

/** A validated long-running change on an endpoint, applied when its operation completes. */
export interface PendingChange<T> {
  resourceName: string;
  complete: () => T | Promise<T>;
  /** Releases what the request reserved when its operation fails without completing. */
  abandon?: () => void;
}

const mutableDeployedModelPaths = new Set([
  "dedicated_resources.min_replica_count",
  "dedicated_resources.max_replica_count",
  "dedicated_resources.required_replica_count",
  "dedicated_resources.autoscaling_metric_specs",
  "automatic_resources.min_replica_count",
  "automatic_resources.max_replica_count",
  "disable_container_logging",
]);

/**
 * EndpointService's endpoints with their deployed models and traffic split, following the
 * documented rules: DeployModel's split replaces the endpoint's (with "0" meaning the model
 * being deployed), UndeployModel refuses to strand traffic, and every split adds up to 100.
 */
export class EndpointStore {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly reservedIds = new Set<string>();
  private endpointSequence = 0;
  private deployedSequence = 0;
  private etagSequence = 0;

  constructor(
    private readonly scope: LocationScope,
    private readonly registry: ModelRegistry,
    private readonly serving: ModelServing,
  ) {}

  create(request: {
    parent?: string;
    endpoint?: Partial<Endpoint>;
    endpointId?: string;
  }): PendingChange<Endpoint> {
    const parent = this.scope.checkParent(request.parent);
    const input = request.endpoint;
    if (!input) throw invalidArgument("Field `endpoint` is required.");
    if (!input.displayName) throw invalidArgument("Field `endpoint.display_name` is required.");
    let id = request.endpointId;
    if (id) {
      if (!endpointIdPattern.test(id)) {
        throw invalidArgument(
          `Field \`endpoint_id\` must match [a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?, got \`${id}\`.`,
        );
      }
    } else {
      this.endpointSequence += 1;
      id = String(2_000_000_000 + this.endpointSequence);
    }
    const name = `${parent}/endpoints/${id}`;
    if (this.endpoints.has(name)) throw alreadyExists(`Endpoint \`${name}\` already exists.`);
    return {
      resourceName: name,
      complete: () => {
        if (this.endpoints.has(name)) throw alreadyExists(`Endpoint \`${name}\` already exists.`);
        const now = timestamp();
        const endpoint: Endpoint = {
          ...input,
          name,
          displayName: input.displayName ?? "",
          labels: input.labels ?? {},
          deployedModels: [],
          trafficSplit: {},
          createTime: now,
          updateTime: now,
          etag: this.nextEtag(),
        };
        this.endpoints.set(name, endpoint);
        return endpoint;
      },
    };
  }

  /** The endpoint a name addresses, or NOT_FOUND. */
  find(name: unknown, field = "name"): Endpoint {
    const parsed = this.scope.parse(name, "endpoints", "Endpoint", { field });
    const endpoint = this.endpoints.get(parsed.name);
    if (!endpoint) throw notFound(`Endpoint \`${parsed.name}\` not found.`);
    return endpoint;
  }

  get(request: { name?: string }): Endpoint {
    return this.find(request.name);
  }

  list(request: { parent?: string; filter?: string; pageSize?: number; pageToken?: string }): {
    endpoints: Endpoint[];
    nextPageToken: string;
  } {
    const parent = this.scope.checkParent(request.parent);
    const terms = parseListFilter(request.filter ?? "", ["display_name"]);
    const matching = [...this.endpoints.values()].filter(
      (endpoint) =>
        endpoint.name.startsWith(`${parent}/`) &&
        matchesFilter(terms, endpoint.labels, () => endpoint.displayName),
    );
    const page = paginate(matching, request.pageSize ?? 0, request.pageToken ?? "");
    return { endpoints: page.items, nextPageToken: page.nextPageToken };
  }

  update(request: { endpoint?: Partial<Endpoint>; updateMask?: { paths?: string[] } }): Endpoint {
    const input = request.endpoint;
    if (!input) throw invalidArgument("Field `endpoint` is required.");
    const endpoint = this.find(input.name, "endpoint.name");
    const paths = request.updateMask?.paths ?? [];
    if (paths.length === 0)
      throw invalidArgument("Field `update_mask` is required and must name at least one field.");
    const updates = paths.map((path): (() => void) => {
      switch (snake(path)) {
        case "traffic_split": {
          const ids = new Set(endpoint.deployedModels.map((deployed) => deployed.id));
          const split = checkTrafficSplit(input.trafficSplit, ids, "endpoint.traffic_split", true);
          return () => {
            endpoint.trafficSplit = split;
          };
        }
        case "display_name":
          if (!input.displayName) throw invalidArgument("Field `endpoint.display_name` must not be empty.");
          return () => {
            endpoint.displayName = input.displayName ?? endpoint.displayName;
          };
        case "description":
          return () => {
            endpoint.description = input.description ?? "";
          };
        case "labels":
          return () => {
            endpoint.labels = { ...(input.labels ?? {}) };
          };
        default:
          throw invalidArgument(
            `update_mask path \`${path}\` is not supported; supported: traffic_split, display_name, description, labels.`,
          );
      }
    });
    for (const apply of updates) apply();
    this.touch(endpoint);
    return endpoint;
  }

  delete(request: { name?: string }): PendingChange<Record<string, never>> {
    const endpoint = this.find(request.name);
    this.checkNoDeployedModels(endpoint);
    return {
      resourceName: endpoint.name,
      complete: () => {
        this.checkNoDeployedModels(this.find(endpoint.name));
        this.endpoints.delete(endpoint.name);
        return {};
      },
    };
  }

  deploy(request: {
    endpoint?: string;
    deployedModel?: Partial<DeployedModel>;
    trafficSplit?: Record<string, number>;
  }): PendingChange<{ deployedModel: DeployedModel }> {
    const endpoint = this.find(request.endpoint, "endpoint");
    const input = request.deployedModel;
    if (!input) throw invalidArgument("Field `deployed_model` is required.");
    if (!input.model) throw invalidArgument("Field `deployed_model.model` is required.");
    const model = this.registry.resolve(input.model, "deployed_model.model");
    checkResources(input);
    let id = input.id;
    if (id) {
      if (!/^\d{1,10}$/.test(id)) {
        throw invalidArgument(`Field \`deployed_model.id\` must be 1-10 digits, got \`${id}\`.`);
      }
      this.checkIdFree(endpoint, id);
    } else {
      do {
        this.deployedSequence += 1;
        id = String(1_000_000_000 + this.deployedSequence);
      } while (this.reservedIds.has(id) || endpoint.deployedModels.some((deployed) => deployed.id === id));
    }
    const deployedId = id;
    const requestedSplit = request.trafficSplit ?? {};
    const validateSplit = (target: Endpoint) =>
      Object.keys(requestedSplit).length === 0
        ? undefined
        : checkTrafficSplit(
            requestedSplit,
            new Set(["0", ...target.deployedModels.map((deployed) => deployed.id)]),
            "traffic_split",
            false,
          );
    validateSplit(endpoint);
    this.reservedIds.add(deployedId);

    return {
      resourceName: endpoint.name,
      complete: async () => {
        try {
          const target = this.find(endpoint.name, "endpoint");
          this.checkIdFree(target, deployedId, true);
          const split = validateSplit(target);
          const deployed: DeployedModel = {
            ...input,
            id: deployedId,
            model: model.name,
            modelVersionId: model.versionId,
            displayName: input.displayName || model.displayName,
            createTime: timestamp(),
          };
          await this.serving.load(deployed, model);
          target.deployedModels.push(deployed);
          if (split) {
            const { 0: forNew, ...rest } = split;
            target.trafficSplit = forNew === undefined ? rest : { ...rest, [deployedId]: forNew };
          } else if (target.deployedModels.length === 1) {
            target.trafficSplit = { [deployedId]: 100 };
          }
          this.touch(target);
          return { deployedModel: deployed };
        } finally {
          this.reservedIds.delete(deployedId);
        }
      },
      abandon: () => {
        this.reservedIds.delete(deployedId);
      },
    };
  }

  undeploy(request: {
    endpoint?: string;
    deployedModelId?: string;
    trafficSplit?: Record<string, number>;
  }): PendingChange<Record<string, never>> {
    const endpoint = this.find(request.endpoint, "endpoint");
    const id = request.deployedModelId;
    if (!id) throw invalidArgument("Field `deployed_model_id` is required.");
    const nextSplit = (target: Endpoint): Record<string, number> => {
      if (!target.deployedModels.some((deployed) => deployed.id === id)) {
        throw notFound(`DeployedModel \`${id}\` not found on Endpoint \`${target.name}\`.`);
      }
      const remaining = new Set(
        target.deployedModels.map((deployed) => deployed.id).filter((other) => other !== id),
      );
      const given = request.trafficSplit ?? {};
      if (Object.keys(given).length > 0) {
        if ((given[id] ?? 0) > 0) {
          throw invalidArgument(
            `Field \`traffic_split\` gives ${given[id]}% to DeployedModel \`${id}\`, which is being undeployed.`,
          );
        }
        const { [id]: _removed, ...others } = given;
        return checkTrafficSplit(others, remaining, "traffic_split", remaining.size === 0);
      }
      if (remaining.size === 0) return {};
      const share = target.trafficSplit[id] ?? 0;
      if (share > 0) {
        throw failedPrecondition(
          `DeployedModel \`${id}\` still receives ${share}% of the traffic of Endpoint \`${target.name}\`; ` +
            "set traffic_split in the request (or update the endpoint's traffic split first) so it receives none.",
        );
      }
      const { [id]: _removed, ...others } = target.trafficSplit;
      return others;
    };
    nextSplit(endpoint);
    return {
      resourceName: endpoint.name,
      complete: () => {
        const target = this.find(endpoint.name, "endpoint");
        const split = nextSplit(target);
        target.deployedModels = target.deployedModels.filter((deployed) => deployed.id !== id);
        target.trafficSplit = split;
        this.serving.unload(id);
        this.touch(target);
        return {};
      },
    };
  }

  mutate(request: {
    endpoint?: string;
    deployedModel?: Partial<DeployedModel>;
    updateMask?: { paths?: string[] };
  }): PendingChange<{ deployedModel: DeployedModel }> {
    const endpoint = this.find(request.endpoint, "endpoint");
    const input = request.deployedModel;
    if (!input?.id) throw invalidArgument("Field `deployed_model.id` is required.");
    const id = input.id;
    const paths = (request.updateMask?.paths ?? []).map(snake);
    if (paths.length === 0)
      throw invalidArgument("Field `update_mask` is required and must name at least one field.");
    for (const path of paths) {
      if (!mutableDeployedModelPaths.has(path)) {
        throw invalidArgument(
          `update_mask path \`${path}\` cannot be mutated; mutable: ${[...mutableDeployedModelPaths].join(", ")}.`,
        );
      }
    }
    const locate = (target: Endpoint): DeployedModel => {
      const deployed = target.deployedModels.find((candidate) => candidate.id === id);
      if (!deployed) throw notFound(`DeployedModel \`${id}\` not found on Endpoint \`${target.name}\`.`);
      return deployed;
    };
    const current = locate(endpoint);
    const next = structuredClone(current);
    for (const path of paths) {
      const [group, field] = path.split(".") as [string, string | undefined];
      const key = camel(group);
      if (field === undefined) {
        next[key] = input[key];
        continue;
      }
      const source = (input[key] ?? {}) as Record<string, unknown>;
      const target = (next[key] ?? {}) as Record<string, unknown>;
      target[camel(field)] = source[camel(field)];
      next[key] = target;
    }
    checkResources(next);
    return {
      resourceName: endpoint.name,
      complete: () => {
        const deployed = locate(this.find(endpoint.name, "endpoint"));
        Object.assign(deployed, next);
        this.touch(this.find(endpoint.name, "endpoint"));
        return { deployedModel: deployed };
      },
    };
  }

  private checkIdFree(endpoint: Endpoint, id: string, reservedByCaller = false): void {
    if (
      endpoint.deployedModels.some((deployed) => deployed.id === id) ||
      (!reservedByCaller && this.reservedIds.has(id))
    ) {
      throw alreadyExists(`DeployedModel with ID \`${id}\` already exists on Endpoint \`${endpoint.name}\`.`);
    }
  }

  private checkNoDeployedModels(endpoint: Endpoint): void {
    if (endpoint.deployedModels.length > 0) {
      throw failedPrecondition(
        `Endpoint \`${endpoint.name}\` still has ${endpoint.deployedModels.length} deployed model(s); undeploy them first.`,
      );
    }
  }

  private touch(endpoint: Endpoint): void {
    endpoint.updateTime = timestamp();
    endpoint.etag = this.nextEtag();
  }

  private nextEtag(): string {
    this.etagSequence += 1;
    return Buffer.from(`etag-${this.etagSequence}`).toString("base64");
  }
}

function checkResources(deployed: Partial<DeployedModel>): void {
  const dedicated = deployed.dedicatedResources;
  const automatic = deployed.automaticResources;
  if (!dedicated && !automatic) {
    throw invalidArgument("Field `deployed_model` needs `dedicated_resources` or `automatic_resources`.");
  }
  if (dedicated) {
    const machineType = (dedicated.machineSpec as { machineType?: string } | undefined)?.machineType;
    if (!machineType)
      throw invalidArgument(
        "Field `deployed_model.dedicated_resources.machine_spec.machine_type` is required.",
      );
    const min = dedicated.minReplicaCount ?? 0;
    if (min < 1)
      throw invalidArgument(
        "Field `deployed_model.dedicated_resources.min_replica_count` must be at least 1.",
      );
    if (dedicated.maxReplicaCount && dedicated.maxReplicaCount < min) {
      throw invalidArgument(
        `Field \`deployed_model.dedicated_resources.max_replica_count\` (${dedicated.maxReplicaCount}) must not be below min_replica_count (${min}).`,
      );
    }
  }
}

function snake(path: string): string {
  return path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function camel(field: string): string {
  return field.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
