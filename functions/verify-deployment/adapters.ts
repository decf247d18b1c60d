import type { EndpointDeployer, ModelRegistry } from "../../shared/model-ports.js";
import { adaptersPerRuntime } from "../../shared/vertex/adapters-per-runtime.js";
import type { ServingPredictor, VertexPredictor } from "../../shared/vertex/prediction-adapter.js";
import type { VertexLocation } from "../../shared/vertex/vertex-client.js";

/** The Vertex AI ports verification calls: Predict always; the registry and endpoint only to find the serving version. */
export interface VerifyAdapters {
  predictor: () => ServingPredictor;
  registry: () => Pick<ModelRegistry, "getVersion">;
  endpoints: () => Pick<EndpointDeployer, "getEndpoint">;
}

/**
 * The real adapters for a runtime, made once per instance and each only when first needed: the registry and
 * endpoint adapters are imported only if the serving version cannot be found from the registry index.
 */
export const verifyDeploymentAdapters = adaptersPerRuntime<VerifyAdapters>((location) => ({
  predictor: once(() => new LazyPredictor(location)),
  registry: once(() => new LazyRegistry(location)),
  endpoints: once(() => new LazyEndpoints(location)),
}));

function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}

// Each adapter module is imported on first call, so a cold start loads only what the message needs.

class LazyPredictor implements ServingPredictor {
  private adapter: Promise<VertexPredictor> | undefined;
  constructor(private readonly location: VertexLocation) {}
  async predict(endpoint: string, instances: unknown[]) {
    return (await this.predictor()).predict(endpoint, instances);
  }
  async predictOn(endpoint: string, deployedModelId: string, instances: unknown[]) {
    return (await this.predictor()).predictOn(endpoint, deployedModelId, instances);
  }
  private predictor(): Promise<VertexPredictor> {
    this.adapter ??= import("../../shared/vertex/prediction-adapter.js").then(
      ({ VertexPredictor }) => new VertexPredictor(this.location),
    );
    return this.adapter;
  }
}

class LazyRegistry implements Pick<ModelRegistry, "getVersion"> {
  private adapter: Promise<ModelRegistry> | undefined;
  constructor(private readonly location: VertexLocation) {}
  async getVersion(modelResource: string, versionIdOrAlias: string) {
    this.adapter ??= import("../../shared/vertex/models-adapter.js").then(
      ({ VertexModelRegistry }) => new VertexModelRegistry(this.location),
    );
    return (await this.adapter).getVersion(modelResource, versionIdOrAlias);
  }
}

class LazyEndpoints implements Pick<EndpointDeployer, "getEndpoint"> {
  private adapter: Promise<EndpointDeployer> | undefined;
  constructor(private readonly location: VertexLocation) {}
  async getEndpoint(endpoint: string) {
    this.adapter ??= import("../../shared/vertex/endpoints-adapter.js").then(
      ({ VertexEndpointDeployer }) => new VertexEndpointDeployer(this.location),
    );
    return (await this.adapter).getEndpoint(endpoint);
  }
}
