import { type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import type { PubSubLog } from "./log.js";
import { PubSubStatusError } from "./status-error.js";

/** The gRPC status for a thrown error: refusals keep their code, anything else is INTERNAL. */
export function toStatus(error: unknown): { code: status; details: string } {
  if (error instanceof PubSubStatusError) return { code: error.code, details: error.details };
  return { code: status.INTERNAL, details: error instanceof Error ? error.message : String(error) };
}

/** Wraps a synchronous request → response function as a gRPC unary handler that never throws. */
export function unaryHandler<Req, Res>(
  method: string,
  log: PubSubLog,
  handle: (request: Req) => Res,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    let response: Res;
    try {
      response = handle(call.request);
    } catch (error) {
      const refusal = toStatus(error);
      log({ event: "refused", method, code: status[refusal.code], details: refusal.details });
      callback(refusal);
      return;
    }
    callback(null, response);
  };
}
