import type { Request, Response } from "@google-cloud/functions-framework";
import { describeError } from "../errors.js";
import { createLogger } from "../logger.js";
import { type IngressHandler, IngressStatus } from "./http.js";

/**
 * Adapts an ingress handler to a Functions Framework HTTP function. The handler is built on the first request
 * (configuration and clients load once per instance); a build that fails answers 500 and is tried again next
 * time. The framework has already buffered the body: `rawBody` holds the exact bytes for signature checks.
 */
export function serveIngress(
  createHandler: () => IngressHandler,
): (req: Request, res: Response) => Promise<void> {
  let handler: IngressHandler | undefined;
  return async (req, res) => {
    try {
      handler ??= createHandler();
    } catch (error) {
      // A configuration error: say so in the log (it names the variable or field), not to the caller.
      createLogger().error("ingress function cannot start", { error: describeError(error) });
      res
        .status(500)
        .json({ status: IngressStatus.error, reason: "the function is misconfigured; see its logs" });
      return;
    }
    let response: Awaited<ReturnType<IngressHandler>>;
    try {
      response = await handler({
        method: req.method,
        headers: req.headers,
        body: req.rawBody ?? Buffer.alloc(0),
      });
    } catch (error) {
      // The handlers answer every expected failure themselves; what escapes (a secret file that cannot be read,
      // say) is logged with its cause and answered 500 so the sender retries, rather than left to the framework.
      createLogger().error("ingress function failed", { error: describeError(error) });
      res.status(500).json({ status: IngressStatus.error, reason: "the function failed; see its logs" });
      return;
    }
    res.status(response.statusCode);
    if (response.headers) res.set(response.headers);
    res.json(response.body);
  };
}
