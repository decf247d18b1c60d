import { posix } from "node:path";
import { Storage } from "@google-cloud/storage";
import { failedPrecondition, invalidArgument, RpcError } from "./errors.js";
import type { DeployedModel, Endpoint, Model } from "./messages.js";
import { fromProtoValue, type ProtoValue, toProtoValue } from "./proto-value.js";
import { pickBySplit } from "./traffic-split.js";

/** A loaded model server: scores instances in order. */
export interface Predictor {
  predict(instances: unknown[], parameters?: unknown): unknown[] | Promise<unknown[]>;
}

/** Loads a predictor for one model version; `readArtifact` reads `<artifactUri>/<relativePath>`. */
export type PredictorFactory = (
  readArtifact: (relativePath: string) => Promise<Buffer>,
) => Promise<Predictor>;

interface Serving {
  deployed: DeployedModel;
  model: Model;
  predictor: Predictor;
}

/** What the router needs from the server. */
export interface PredictRouterOptions {
  predictors: Record<string, PredictorFactory>;
  storageApiEndpoint: string;
  project: string;
  maxInstancesPerRequest: number;
  predictLatencyMs: number;
  random?: () => number;
}

/**
 * PredictionService: one deployed model per request, chosen by the endpoint's traffic split,
 * served by a predictor loaded once per deployed model (at deploy time, as a model server starts).
 */
export class PredictRouter {
  private readonly serving = new Map<string, Serving>();
  private storage: Storage | undefined;

  constructor(private readonly options: PredictRouterOptions) {}

  async load(deployed: DeployedModel, model: Model): Promise<void> {
    const imageUri = model.containerSpec.imageUri ?? "";
    const factory = this.options.predictors[imageUri];
    if (!factory) {
      throw failedPrecondition(
        `Model server never became ready: no local predictor is registered for serving container image \`${imageUri}\` ` +
          `(VertexServerOptions.predictors; known: ${Object.keys(this.options.predictors).join(", ") || "none"}).`,
      );
    }
    let predictor: Predictor;
    try {
      predictor = await factory((relativePath) => this.readArtifact(model.artifactUri, relativePath));
    } catch (error) {
      throw failedPrecondition(
        `Model server never became ready: loading model \`${model.name}@${model.versionId}\` from \`${model.artifactUri}\` failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
    this.serving.set(deployed.id, { deployed, model, predictor });
  }

  unload(deployedModelId: string): void {
    this.serving.delete(deployedModelId);
  }

  async predict(
    endpoint: Endpoint,
    request: { instances?: ProtoValue[]; parameters?: ProtoValue },
  ): Promise<{
    predictions: ProtoValue[];
    deployedModelId: string;
    model: string;
    modelVersionId: string;
    modelDisplayName: string;
  }> {
    const instances = this.instancesOf(request);
    return this.serve(this.chosenBySplit(endpoint), instances, request.parameters);
  }

  /**
   * Explain: served by `deployedModelId` when given (overriding the traffic split, as ExplainRequest.deployed_model_id
   * does), else by the split, where Vertex AI requires every deployed model to support explanation. A deployed model
   * without an `explanationSpec` (its own or its model's) is refused with FAILED_PRECONDITION, as Vertex AI does.
   * Attributions are not computed here: each instance gets an empty Explanation, the predictions are real.
   */
  async explain(
    endpoint: Endpoint,
    request: { instances?: ProtoValue[]; parameters?: ProtoValue; deployedModelId?: string },
  ): Promise<{ predictions: ProtoValue[]; deployedModelId: string; explanations: object[] }> {
    const instances = this.instancesOf(request);
    const chosen = request.deployedModelId;
    if (chosen) {
      if (!endpoint.deployedModels.some((deployed) => deployed.id === chosen)) {
        throw invalidArgument(`Endpoint \`${endpoint.name}\` has no DeployedModel \`${chosen}\`.`);
      }
    } else {
      const unexplained = endpoint.deployedModels.find((deployed) => !this.explains(deployed.id));
      if (unexplained)
        throw failedPrecondition(`Deployed model ${unexplained.id} does not support explanation.`);
    }
    const id = chosen || this.chosenBySplit(endpoint);
    if (!this.explains(id)) throw failedPrecondition(`Deployed model ${id} does not support explanation.`);
    const served = await this.serve(id, instances, request.parameters);
    return {
      predictions: served.predictions,
      deployedModelId: served.deployedModelId,
      explanations: served.predictions.map(() => ({ attributions: [] })),
    };
  }

  private explains(deployedModelId: string): boolean {
    const serving = this.serving.get(deployedModelId);
    return Boolean(serving && (serving.deployed.explanationSpec ?? serving.model.explanationSpec));
  }

  private instancesOf(request: { instances?: ProtoValue[] }): unknown[] {
    const given = request.instances ?? [];
    if (given.length === 0) throw invalidArgument("Field `instances` must contain at least one instance.");
    const empty = given.findIndex(isEmptyValue);
    if (empty >= 0) {
      // The client's protobuf encoder turns a plain JSON object into an empty Value without a word.
      throw invalidArgument(
        `instances[${empty}] is an empty google.protobuf.Value; send each instance as a Value (e.g. toProtoValue(json)), not as plain JSON.`,
      );
    }
    const instances = given.map(fromProtoValue);
    if (instances.length > this.options.maxInstancesPerRequest) {
      throw invalidArgument(
        `Request has ${instances.length} instances; the maximum per request is ${this.options.maxInstancesPerRequest}.`,
      );
    }
    return instances;
  }

  private chosenBySplit(endpoint: Endpoint): string {
    if (endpoint.deployedModels.length === 0) {
      throw failedPrecondition(
        `Endpoint \`${endpoint.name}\` has no deployed model to serve the prediction.`,
      );
    }
    const id = pickBySplit(endpoint.trafficSplit, this.options.random);
    if (id === undefined) {
      throw failedPrecondition(
        `Endpoint \`${endpoint.name}\` sends no traffic to any deployed model (empty traffic split).`,
      );
    }
    return id;
  }

  private async serve(id: string, instances: unknown[], parametersValue: ProtoValue | undefined) {
    const serving = this.serving.get(id);
    if (!serving) throw new RpcError("UNAVAILABLE", `DeployedModel \`${id}\` is not serving yet.`);
    if (this.options.predictLatencyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.options.predictLatencyMs));
    }
    const parameters = parametersValue ? fromProtoValue(parametersValue) : undefined;
    let predictions: unknown[];
    try {
      predictions = await serving.predictor.predict(instances, parameters);
    } catch (error) {
      throw invalidArgument(
        `The model server refused the request: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!Array.isArray(predictions) || predictions.length !== instances.length) {
      throw new RpcError(
        "INTERNAL",
        `The model server returned ${Array.isArray(predictions) ? predictions.length : "no"} predictions for ${instances.length} instances.`,
      );
    }
    return {
      predictions: predictions.map(toProtoValue),
      deployedModelId: id,
      model: serving.model.name,
      modelVersionId: serving.model.versionId,
      modelDisplayName: serving.model.displayName,
    };
  }

  private async readArtifact(artifactUri: string, relativePath: string): Promise<Buffer> {
    const match = /^gs:\/\/([^/]+)\/?(.*)$/.exec(artifactUri);
    if (!match) throw new Error(`artifactUri \`${artifactUri}\` is not a gs:// URI`);
    const normalized = posix.normalize(relativePath);
    if (normalized.startsWith("..") || posix.isAbsolute(normalized)) {
      throw new Error(`artifact path \`${relativePath}\` leaves the artifact directory`);
    }
    const object = posix.join(match[2] ?? "", normalized);
    this.storage ??= new Storage({
      apiEndpoint: this.options.storageApiEndpoint,
      projectId: this.options.project,
      useAuthWithCustomEndpoint: false,
    });
    const [contents] = await this.storage
      .bucket(match[1] ?? "")
      .file(object)
      .download();
    return contents;
  }
}

function isEmptyValue(value: ProtoValue | null | undefined): boolean {
  if (!value) return true;
  return (
    (value as { kind?: string }).kind === undefined &&
    value.nullValue === undefined &&
    value.numberValue === undefined &&
    value.stringValue === undefined &&
    value.boolValue === undefined &&
    value.structValue === undefined &&
    value.listValue === undefined
  );
}
