import { refuse } from "./early-answer.js";
import { headerValue, type IngressRequest } from "./http.js";
import { currentSecrets, type SecretSource } from "./secret-file.js";
import { matchesAnySecret } from "./secret-match.js";
import { verifySignature } from "./verify-signature.js";

/** How an ingress function knows who sent a request: resolves when authenticated, throws a refusal otherwise. */
export type Authenticate = (request: IngressRequest) => Promise<void>;

/**
 * HMAC-SHA256 over the raw body bytes, presented as `sha256=<hex>` in `header` (GitHub's X-Hub-Signature-256,
 * Flux's X-Signature). `missingHint` follows the missing-header reason, to say what the sender should check.
 */
export function hmacSha256(header: string, secrets: SecretSource, missingHint = ""): Authenticate {
  return async (request) => {
    refuseRepeated(request, header);
    const signature = headerValue(request.headers, header);
    if (!signature) throw refuse(401, `missing the ${header} header${missingHint}`);
    if (request.body.length === 0) throw refuse(400, "the request has no body");
    if (!verifySignature(await currentSecrets(secrets), request.body, signature)) {
      throw refuse(401, `${header} does not match the body under any configured secret`);
    }
  };
}

/** A shared token the sender puts in `header` (never the URL: URLs reach access logs). */
export function sharedToken(header: string, tokens: SecretSource): Authenticate {
  return async (request) => {
    refuseRepeated(request, header);
    const token = headerValue(request.headers, header);
    if (!token) throw refuse(401, `missing the ${header} header`);
    if (!matchesAnySecret(token, await currentSecrets(tokens))) {
      throw refuse(401, `${header} does not match any configured token`);
    }
  };
}

/**
 * A credential presented more than once is refused, whichever copy would verify: which one the sender meant is a
 * guess, and a proxy that appends a header must not turn a stranger's request into one carrying a valid copy. (Node
 * joins most repeated headers into one string, which then fails verification; this covers the array form.)
 */
function refuseRepeated(request: IngressRequest, header: string): void {
  const wanted = header.toLowerCase();
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.toLowerCase() === wanted && Array.isArray(value) && value.length > 1) {
      throw refuse(401, `the ${header} header is repeated; send it once`);
    }
  }
}

/** No authentication: for a sender the platform already authenticates (an IAM invoker), nothing else. */
export const unauthenticated: Authenticate = async () => undefined;
