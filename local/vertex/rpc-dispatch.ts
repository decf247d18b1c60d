import { type handleUnaryCall, type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import { RpcError, toStatus } from "./errors.js";
import type { FaultInjector } from "./fault-injector.js";
import type { Handler } from "./method-table.js";
import {
  type Authorize,
  identityOf,
  type PermissionCheck,
  resolveCheck,
  type VertexMethod,
  vertexPermissions,
} from "./permissions.js";

/** One RPC the server answered. */
export interface RequestLogEntry {
  method: string;
  request: unknown;
  code: number;
  at: number;
  identity: string | null;
  message?: string;
}

const requestLogLimit = 20_000;

/** What every unary call goes through: injected faults, IAM checks, the handler, the request log. */
export interface RpcDispatchOptions {
  handlers: Record<VertexMethod, Handler>;
  faults: FaultInjector;
  authorize: Authorize;
  log: (entry: Record<string, unknown>) => void;
}

/** Serves unary calls: `serve(method, listener)` is the grpc-js handler of one method on one port. */
export class RpcDispatch {
  /** The calls answered, newest last, at most the latest 20,000. */
  readonly requestLog: RequestLogEntry[] = [];

  constructor(private readonly opts: RpcDispatchOptions) {}

  /** The handler of `method` on a port whose calls are all `listener`'s (null: the bearer token says who). */
  serve(method: string, listener: string | null): handleUnaryCall<unknown, unknown> {
    return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const identity = listener ?? identityOf(call.metadata.get("authorization")[0]);
      const request = call.request;
      this.run(method, identity, request).then(
        (response) => {
          this.record({ method, request, code: status.OK, at: Date.now(), identity });
          callback(null, response);
        },
        (error: unknown) => {
          const { code, message } = toStatus(error);
          this.record({ method, request, code, at: Date.now(), identity, message });
          this.opts.log({ event: "rpc-refused", method, code: status[code], message, identity });
          callback({ code, details: message });
        },
      );
    };
  }

  private async run(method: string, identity: string | null, request: unknown): Promise<unknown> {
    const { handlers, faults } = this.opts;
    const known = method in handlers ? (method as VertexMethod) : undefined;
    if (!known) {
      throw new RpcError(
        "UNIMPLEMENTED",
        `Method ${method} is not implemented by the local Vertex AI server.`,
      );
    }
    await faults.beforeCall(known);
    await this.checkPermissions(known, identity, request);
    return (handlers[known] as (request: unknown) => unknown)(request);
  }

  private async checkPermissions(
    method: VertexMethod,
    identity: string | null,
    request: unknown,
  ): Promise<void> {
    for (const check of vertexPermissions[method] as readonly PermissionCheck[]) {
      const resolved = resolveCheck(check, request);
      if (!resolved) continue;
      const { permission, resourceName } = resolved;
      if (!(await this.opts.authorize(identity, permission, resourceName))) {
        throw new RpcError(
          "PERMISSION_DENIED",
          permission.startsWith("iam.")
            ? `Permission '${permission}' denied on service account ${resourceName} (or it may not exist).`
            : `Permission '${permission}' denied on resource '//aiplatform.googleapis.com/${resourceName}' (or it may not exist).`,
        );
      }
    }
  }

  private record(entry: RequestLogEntry): void {
    const log = this.requestLog;
    log.push(entry);
    if (log.length > requestLogLimit) log.splice(0, log.length - requestLogLimit);
  }
}
