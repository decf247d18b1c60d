import { status } from "@grpc/grpc-js";

/** A gRPC status code name the server answers with. */
export type StatusName = keyof typeof status;

/** An RPC failure with a gRPC status code and the message the caller sees. */
export class RpcError extends Error {
  readonly code: number;
  constructor(code: StatusName, message: string) {
    super(message);
    this.name = "RpcError";
    this.code = status[code];
  }
}

/** INVALID_ARGUMENT with `message`. */
export const invalidArgument = (message: string): RpcError => new RpcError("INVALID_ARGUMENT", message);
/** NOT_FOUND with `message`. */
export const notFound = (message: string): RpcError => new RpcError("NOT_FOUND", message);
/** FAILED_PRECONDITION with `message`. */
export const failedPrecondition = (message: string): RpcError => new RpcError("FAILED_PRECONDITION", message);
/** ALREADY_EXISTS with `message`. */
export const alreadyExists = (message: string): RpcError => new RpcError("ALREADY_EXISTS", message);

/** The status code and message of anything a handler threw; unknown errors become INTERNAL. */
export function toStatus(error: unknown): { code: number; message: string } {
  if (error instanceof RpcError) return { code: error.code, message: error.message };
  return {
    code: status.INTERNAL,
    message: `Internal error: ${error instanceof Error ? error.message : String(error)}`,
  };
}
