import type { EndpointStore, PendingChange } from "./endpoint-store.js";
import { snake } from "./endpoint-store.js";
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "./errors.js";
import type { DeployedModel, Endpoint, Model } from "./messages.js";
import type { ModelRegistry } from "./model-registry.js";
import { timestamp } from "./timestamps.js";
import { checkTrafficSplit } from "./traffic-split.js";

/** What happens to a model server when a model is deployed or undeployed (the predict router). */
export interface ModelServing {
  /** Starts serving: resolves once the predictor is loaded, throws if it cannot be. */
  load(deployed: DeployedModel, model: Model): Promise<void>;
  unload(deployedModelId: string): void;
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
 * The deployed models of EndpointService's endpoints, following the documented rules: DeployModel's
 * split replaces the endpoint's (with "0" meaning the model being deployed), UndeployModel refuses
 * to strand traffic, and every split adds up to 100.
 */
export class DeploymentStore {
  /** Deployed model ids taken by a DeployModel whose operation has not completed yet. */
  private readonly reservedIds = new Set<string>();
  private deployedSequence = 0;

  constructor(
    private readonly endpoints: EndpointStore,
    private readonly registry: ModelRegistry,
    private readonly serving: ModelServing,
  ) {}

  deploy(request: {
    endpoint?: string;
    deployedModel?: Partial<DeployedModel>;
    trafficSplit?: Record<string, number>;
  }): PendingChange<{ deployedModel: DeployedModel }> {
    const endpoint = this.endpoints.find(request.endpoint, "endpoint");
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
          const target = this.endpoints.find(endpoint.name, "endpoint");
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
          this.endpoints.touch(target);
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
    const endpoint = this.endpoints.find(request.endpoint, "endpoint");
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
        const target = this.endpoints.find(endpoint.name, "endpoint");
        const split = nextSplit(target);
        target.deployedModels = target.deployedModels.filter((deployed) => deployed.id !== id);
        target.trafficSplit = split;
        this.serving.unload(id);
        this.endpoints.touch(target);
        return {};
      },
    };
  }

  mutate(request: {
    endpoint?: string;
    deployedModel?: Partial<DeployedModel>;
    updateMask?: { paths?: string[] };
  }): PendingChange<{ deployedModel: DeployedModel }> {
    const endpoint = this.endpoints.find(request.endpoint, "endpoint");
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
        const deployed = locate(this.endpoints.find(endpoint.name, "endpoint"));
        Object.assign(deployed, next);
        this.endpoints.touch(this.endpoints.find(endpoint.name, "endpoint"));
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

function camel(field: string): string {
  return field.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
