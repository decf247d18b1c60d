import type { EndpointServiceClient } from "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js";
import { TransientError } from "../errors.js";
import { classifyClientError, GrpcCode } from "../grpc-errors.js";
import { commonJsExports } from "../lazy-load.js";
import type { DeploySpec, EndpointDeployer, EndpointState } from "../model-ports.js";
import { plainMessage, type VertexLocation, VertexServiceAdapter } from "./vertex-client.js";

/** DeployModel's traffic split names the model being deployed "0"; Vertex fills in its real id. */
const beingDeployed = "0";

/** EndpointDeployer on Vertex AI's EndpointService; long-running calls are awaited to completion. */
export class VertexEndpointDeployer
  extends VertexServiceAdapter<EndpointServiceClient>
  implements EndpointDeployer
{
  constructor(location: VertexLocation) {
    super(location, async (options) => {
      const { EndpointServiceClient } = commonJsExports(
        await import("@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js"),
      );
      return new EndpointServiceClient(options);
    });
  }

  async getEndpoint(endpoint: string): Promise<EndpointState> {
    return this.call("GetEndpoint", async (client) => {
      const [found] = await client.getEndpoint({ name: endpoint });
      return toEndpointState(found);
    });
  }

  async deploy(endpoint: string, spec: DeploySpec): Promise<unknown> {
    const client = await this.client();
    const trafficSplit = Object.fromEntries(
      Object.entries(spec.trafficSplit).map(([id, percent]) => [
        id === spec.deployedModelId ? beingDeployed : id,
        percent,
      ]),
    );
    try {
      const [op] = await client.deployModel({
        endpoint,
        deployedModel: {
          id: spec.deployedModelId,
          model: `${spec.modelResource}@${spec.versionId}`,
          displayName: spec.displayName,
          dedicatedResources: {
            machineSpec: { machineType: spec.machineType },
            minReplicaCount: spec.minReplicas,
            maxReplicaCount: spec.maxReplicas,
          },
        },
        trafficSplit,
      });
      const [response, metadata] = await op.promise();
      return { operation: op.name, response: plainMessage(response), metadata: plainMessage(metadata) };
    } catch (error) {
      if ((error as { code?: unknown }).code === GrpcCode.ALREADY_EXISTS) {
        // The id is deterministic: an earlier attempt's deployment exists or is still in progress. Retrying finds it.
        throw new TransientError(
          `DeployModel failed: deployed model ${spec.deployedModelId} already exists or is being deployed on ${endpoint}`,
          { cause: error, details: { grpcCode: GrpcCode.ALREADY_EXISTS } },
        );
      }
      throw classifyClientError(error, "DeployModel");
    }
  }

  async setTrafficSplit(endpoint: string, split: Record<string, number>): Promise<unknown> {
    return this.call("UpdateEndpoint", async (client) => {
      const [updated] = await client.updateEndpoint({
        endpoint: { name: endpoint, trafficSplit: split },
        updateMask: { paths: ["traffic_split"] },
      });
      return plainMessage(updated);
    });
  }

  async undeploy(
    endpoint: string,
    deployedModelId: string,
    trafficSplit?: Record<string, number>,
  ): Promise<unknown> {
    return this.call("UndeployModel", async (client) => {
      const [op] = await client.undeployModel({
        endpoint,
        deployedModelId,
        ...(trafficSplit ? { trafficSplit } : {}),
      });
      const [response, metadata] = await op.promise();
      return { operation: op.name, response: plainMessage(response), metadata: plainMessage(metadata) };
    });
  }
}

function toEndpointState(message: unknown): EndpointState {
  const raw = plainMessage(message) as {
    name?: string;
    deployedModels?: Array<{ id?: string; model?: string; modelVersionId?: string; displayName?: string }>;
    trafficSplit?: Record<string, number>;
  };
  return {
    name: raw.name ?? "",
    deployedModels: (raw.deployedModels ?? []).map((deployed) => {
      const model = deployed.model ?? "";
      const at = model.indexOf("@");
      return {
        id: deployed.id ?? "",
        modelResource: at === -1 ? model : model.slice(0, at),
        versionId: deployed.modelVersionId || (at === -1 ? "" : model.slice(at + 1)),
        displayName: deployed.displayName ?? "",
      };
    }),
    trafficSplit: Object.fromEntries(
      Object.entries(raw.trafficSplit ?? {}).map(([id, percent]) => [id, Number(percent)]),
    ),
    raw,
  };
}
