import { createHmac, timingSafeEqual } from "node:crypto";

// GitHub (X-Hub-Signature-256) and Flux's notification-controller (X-Signature) sign the raw request bytes the same
// way: `sha256=` and the hex HMAC-SHA256 under a shared secret. @octokit/webhooks-methods 6 takes the payload only as a string, and decoding
// bytes to a string is lossy (an invalid UTF-8 byte and U+FFFD decode the same), so a body GitHub never signed could
// verify. The HMAC is therefore computed here over the Buffer with node:crypto, as octokit computes it.
const signaturePattern = /^sha256=[0-9a-f]{64}$/;

/**
 * True when `signature` (`sha256=<hex>`, as in X-Hub-Signature-256) is the HMAC-SHA256 of the raw body bytes under
 * one of `secrets`. Digests are compared in constant time and every secret is tried, so the time
 * does not tell which one matched (or whether any did).
 */
export function verifySignature(secrets: readonly string[], body: Buffer, signature: string): boolean {
  if (body.length === 0 || secrets.length === 0 || !signaturePattern.test(signature)) return false;
  const presented = Buffer.from(signature.slice("sha256=".length), "hex");
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac("sha256", secret).update(body).digest();
    if (timingSafeEqual(presented, expected)) matched = true;
  }
  return matched;
}
