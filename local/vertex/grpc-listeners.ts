import { type handleUnaryCall, Server, ServerCredentials } from "@grpc/grpc-js";
import { serviceDefinition, serviceNames } from "./protos.js";

/** Builds the handler of one unary method for a port whose calls are all `listener`'s (null: the caller's token). */
export type ServeMethod = (method: string, listener: string | null) => handleUnaryCall<unknown, unknown>;

/**
 * The gRPC servers of the local Vertex AI server. A gRPC handler cannot tell which port a call came in on, so
 * each identity gets its own server instance over the same stores, with the handlers bound to that identity.
 */
export class GrpcListeners {
  private readonly servers: Server[] = [];

  constructor(
    private readonly host: string,
    private readonly serve: ServeMethod,
  ) {}

  /** Listens on `bindPort` (0: any free port) and resolves to the port bound. */
  listen(bindPort: number, listener: string | null): Promise<number> {
    const server = new Server();
    for (const service of Object.values(serviceNames)) {
      const definition = serviceDefinition(service);
      const implementation: Record<string, handleUnaryCall<unknown, unknown>> = {};
      for (const [method, spec] of Object.entries(definition)) {
        // Streaming methods are left to grpc-js, which answers UNIMPLEMENTED for them.
        if (!spec.requestStream && !spec.responseStream)
          implementation[method] = this.serve(method, listener);
      }
      server.addService(definition, implementation);
    }
    this.servers.push(server);
    return new Promise<number>((resolve, reject) => {
      server.bindAsync(`${this.host}:${bindPort}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
  }

  /** Stops every server at once (after a failed start). */
  forceShutdown(): void {
    for (const server of this.servers) server.forceShutdown();
  }

  /** Lets calls in flight finish, forcing the servers down after two seconds. */
  async shutdown(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            const force = setTimeout(() => server.forceShutdown(), 2000);
            server.tryShutdown(() => {
              clearTimeout(force);
              resolve();
            });
          }),
      ),
    );
  }
}
