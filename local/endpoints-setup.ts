import {
  credentials,
  type Client as GrpcClient,
  loadPackageDefinition,
  type ServiceClientConstructor,
  status,
} from "@grpc/grpc-js";
import type { Config } from "../shared/config.js";
import { serviceNames, vertexProtos } from "./vertex/protos.js";

/**
 * Creates each model's endpoint through the local server's EndpointService, with a plain gRPC client made from the
 * protos the server has already loaded: the aiplatform client library would build every Vertex AI service from its
 * 4 MB protos.json first (about 2 s of CPU, while the functions are starting on the same cores).
 */
export async function createEndpoints(config: Config, address: string): Promise<void> {
  const definitions = loadPackageDefinition(vertexProtos()) as unknown as Record<string, unknown>;
  const service = (name: string) => {
    let at: unknown = definitions;
    for (const part of name.split(".")) at = (at as Record<string, unknown>)[part];
    return at as ServiceClientConstructor;
  };
  const endpoints = new (service(serviceNames.endpoint))(address, credentials.createInsecure());
  const operations = new (service(serviceNames.operations))(address, credentials.createInsecure());
  const call = <T>(client: GrpcClient, method: string, request: object) =>
    new Promise<T>((resolve, reject) => {
      const fn = (client as unknown as Record<string, unknown>)[method] as (
        request: object,
        callback: (error: Error | null, response: T) => void,
      ) => void;
      fn.call(client, request, (error, response) => (error ? reject(error) : resolve(response)));
    });
  type Operation = { name: string; done?: boolean; error?: { code?: number; message?: string } };
  try {
    const parent = `projects/${config.project}/locations/${config.region}`;
    for (const model of Object.values(config.models)) {
      const name = `${parent}/endpoints/${model.endpoint}`;
      try {
        await call(endpoints, "GetEndpoint", { name });
        continue;
      } catch (error) {
        if ((error as { code?: number }).code !== status.NOT_FOUND) throw error;
      }
      let operation = await call<Operation>(endpoints, "CreateEndpoint", {
        parent,
        endpointId: model.endpoint,
        endpoint: { displayName: model.endpoint },
      });
      while (!operation.done)
        operation = await call<Operation>(operations, "WaitOperation", {
          name: operation.name,
          timeout: { seconds: "10" },
        });
      if (operation.error) throw new Error(`creating endpoint ${name} failed: ${operation.error.message}`);
    }
  } finally {
    endpoints.close();
    operations.close();
  }
}
