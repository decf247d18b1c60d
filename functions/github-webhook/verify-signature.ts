import { verify } from "@octokit/webhooks-methods";

/**
 * True when `signature` (the X-Hub-Signature-256 value, `sha256=<hex>`) is GitHub's HMAC-SHA256 of the raw body
 * under one of `secrets`. @octokit/webhooks-methods compares in constant time; every secret is tried, so the time
 * does not tell which one matched. The bytes are decoded as UTF-8 (GitHub sends UTF-8 JSON), which round-trips
 * them exactly; the parsed body is never re-serialised.
 */
export async function verifySignature(
  secrets: readonly string[],
  body: Buffer,
  signature: string,
): Promise<boolean> {
  if (body.length === 0 || signature === "" || secrets.length === 0) return false;
  const payload = body.toString("utf8");
  const results = await Promise.all(secrets.map((secret) => verify(secret, payload, signature)));
  return results.includes(true);
}
