import { alreadyExists, failedPrecondition, invalidArgument, notFound } from "./errors.js";
import { filteredPage } from "./list-filter.js";
import type { Endpoint } from "./messages.js";
import type { LocationScope } from "./resource-names.js";
import { timestamp } from "./timestamps.js";
import { checkTrafficSplit } from "./traffic-split.js";

const endpointIdPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A validated long-running change on an endpoint, applied when its operation completes. */
export interface PendingChange<T> {
  resourceName: string;
  complete: () => T | Promise<T>;
  /** Releases what the request reserved when its operation fails without completing. */
  abandon?: () => void;
}

/**
 * EndpointService's endpoints: create, read, list, update (traffic split, names, labels) and
 * delete. Deploying models onto them is `DeploymentStore`'s (deployed-models.ts).
 */
export class EndpointStore {
  private readonly endpoints = new Map<string, Endpoint>();
  private endpointSequence = 0;
  private etagSequence = 0;

  constructor(private readonly scope: LocationScope) {}

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
    const inParent = [...this.endpoints.values()].filter((endpoint) =>
      endpoint.name.startsWith(`${parent}/`),
    );
    const page = filteredPage(inParent, request, ["display_name"], (endpoint) => endpoint.displayName);
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

  private checkNoDeployedModels(endpoint: Endpoint): void {
    if (endpoint.deployedModels.length > 0) {
      throw failedPrecondition(
        `Endpoint \`${endpoint.name}\` still has ${endpoint.deployedModels.length} deployed model(s); undeploy them first.`,
      );
    }
  }

  /** Marks a change: a new update time and etag. */
  touch(endpoint: Endpoint): void {
    endpoint.updateTime = timestamp();
    endpoint.etag = this.nextEtag();
  }

  private nextEtag(): string {
    this.etagSequence += 1;
    return Buffer.from(`etag-${this.etagSequence}`).toString("base64");
  }
}

/** `trafficSplit` → `traffic_split`: update masks may name fields either way. */
export function snake(path: string): string {
  return path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
