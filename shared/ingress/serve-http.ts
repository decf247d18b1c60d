import type { Request, Response } from "@google-cloud/functions-framework";
import { describeError } from "../errors.js";
import { createLogger } from "../logger.js";
import { guardRequestBodies, readGuardedBody } from "./body-guard.js";
import { type IngressHandler, IngressStatus } from "./http.js";

// How long a refused request's connection may go on sending after the answer (a client still writing a bomb).
const lingerMs = 2000;

/**
 * Adapts an ingress handler to a Functions Framework HTTP function named `functionName`, whose request bodies are
 * guarded (shared/ingress/body-guard.ts): the framework never reads them, the function reads at most
 * `maxBodyBytes` of raw, uncompressed bytes. The handler is built before this is called, as the module loads, so a
 * bad setting fails the instance at start; the handler loads its clients only once a request needs them. A body
 * the guard refuses is answered before anything else.
 */
export function serveIngress(
  functionName: string,
  options: { maxBodyBytes: number },
  handler: IngressHandler,
): (req: Request, res: Response) => Promise<void> {
  guardRequestBodies(functionName, options.maxBodyBytes);
  const logger = createLogger({ functionName });
  return async (req, res) => {
    const body = await readGuardedBody(req);
    if (body.kind === "unguarded") {
      // Fail closed: the framework would have buffered and parsed this body before the function saw it.
      logger.error(
        `the request body guard is not active: serve ${functionName} as the process's target ` +
          `(functions-framework --target=${functionName}, or FUNCTION_TARGET=${functionName})`,
      );
      res
        .status(500)
        .json({ status: IngressStatus.error, reason: "the function is misconfigured; see its logs" });
      return;
    }
    if (body.kind === "refused") {
      logger.warn(`refused a request body: ${body.reason}`, {
        statusCode: body.statusCode,
        reason: body.reason,
      });
      // The rest of the body is discarded as it arrives (constant memory) and the connection closed a little after
      // the answer if the body is still coming: closing at once (as `Connection: close` does in Node) resets a
      // connection the caller is still writing to, and the caller loses the answer.
      req.resume();
      res.once("finish", () => {
        setTimeout(() => {
          if (!req.complete) req.destroy();
        }, lingerMs).unref();
      });
      res.status(body.statusCode).json({ status: IngressStatus.refused, reason: body.reason });
      return;
    }
    let response: Awaited<ReturnType<IngressHandler>>;
    try {
      response = await handler({ method: req.method, headers: req.headers, body: body.bytes });
    } catch (error) {
      // The handlers answer every expected failure themselves; what escapes (a secret file that cannot be read,
      // say) is logged with its cause and answered 500 so the sender retries, rather than left to the framework.
      logger.error("ingress function failed", { error: describeError(error) });
      res.status(500).json({ status: IngressStatus.error, reason: "the function failed; see its logs" });
      return;
    }
    res.status(response.statusCode);
    if (response.headers) res.set(response.headers);
    res.json(response.body);
  };
}
