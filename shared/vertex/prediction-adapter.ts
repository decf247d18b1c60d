import type { protos } from "@google-cloud/aiplatform";
import type { PredictionServiceClient } from "@google-cloud/aiplatform/build/src/v1/prediction_service_client.js";
import { UpstreamError } from "../errors.js";
import { commonJsExports } from "../lazy-load.js";
import type { Predictor } from "../model-ports.js";
import { fromProtobufValue, type ProtobufValue, toProtobufValue } from "./protobuf-value.js";
import { type VertexLocation, VertexServiceAdapter } from "./vertex-client.js";

/** One Predict answer: which deployed model served it (and, when Vertex AI says, which model version). */
export interface ServedPredictions {
  deployedModelId: string;
  predictions: unknown[];
  /** `projects/…/models/<id>` of the deployed model that served the request. */
  model?: string;
  modelVersionId?: string;
}

/** A Predictor that also reports the model version behind the deployed model that answered. */
export interface ServingPredictor extends Predictor {
  predict(endpoint: string, instances: unknown[]): Promise<ServedPredictions>;
  /**
   * Predictions from one chosen deployed model, whatever the traffic split (production traffic is unchanged).
   * Vertex AI offers this only through Explain, for a deployed model with an explanation spec; one without
   * answers FAILED_PRECONDITION. Absent where the adapter cannot route.
   */
  predictOn?(endpoint: string, deployedModelId: string, instances: unknown[]): Promise<ServedPredictions>;
}

/**
 * The Predictor port on Vertex AI's PredictionService. The client is loaded from its own module (not the
 * package index, which loads every service) on the first call, once per instance.
 */
export class VertexPredictor
  extends VertexServiceAdapter<PredictionServiceClient>
  implements ServingPredictor
{
  constructor(location: VertexLocation) {
    // The shared options type is narrower than gax's ClientOptions (exact optional fields); the fields match.
    super(location, async (options) => {
      const { PredictionServiceClient } = commonJsExports(
        await import("@google-cloud/aiplatform/build/src/v1/prediction_service_client.js"),
      );
      return new PredictionServiceClient(options as ConstructorParameters<typeof PredictionServiceClient>[0]);
    });
  }

  async predict(endpoint: string, instances: unknown[]): Promise<ServedPredictions> {
    const request = {
      endpoint,
      instances: instances.map(toProtobufValue),
    } as protos.google.cloud.aiplatform.v1.IPredictRequest;
    const [response] = await this.call(`Predict on ${endpoint}`, (client) => client.predict(request));
    if (!response.deployedModelId) {
      throw new UpstreamError(`Predict on ${endpoint} answered without a deployedModelId`);
    }
    return {
      deployedModelId: response.deployedModelId,
      predictions: fromPredictions(response.predictions),
      ...(response.model ? { model: response.model } : {}),
      ...(response.modelVersionId ? { modelVersionId: response.modelVersionId } : {}),
    };
  }

  async predictOn(
    endpoint: string,
    deployedModelId: string,
    instances: unknown[],
  ): Promise<ServedPredictions> {
    const request = {
      endpoint,
      deployedModelId,
      instances: instances.map(toProtobufValue),
    } as protos.google.cloud.aiplatform.v1.IExplainRequest;
    const [response] = await this.call(
      `Explain on ${endpoint} (deployed model ${deployedModelId})`,
      (client) => client.explain(request),
    );
    if (response.deployedModelId !== deployedModelId) {
      throw new UpstreamError(
        `Explain on ${endpoint} for deployed model ${deployedModelId} was answered by ${response.deployedModelId || "no deployed model"}`,
      );
    }
    return { deployedModelId, predictions: fromPredictions(response.predictions) };
  }
}

function fromPredictions(values: protos.google.protobuf.IValue[] | null | undefined): unknown[] {
  const predictions = (values ?? []) as ProtobufValue[];
  const out = new Array<unknown>(predictions.length);
  for (let i = 0; i < predictions.length; i++) out[i] = fromProtobufValue(predictions[i]);
  return out;
}
