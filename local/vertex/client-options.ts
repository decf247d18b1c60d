import { credentials } from "@grpc/grpc-js";
import type { ClientOptions } from "google-gax";

/**
 * Options for a real aiplatform v1 client (e.g. `new EndpointServiceClient(...)`) that reach the
 * local server at `address` ("127.0.0.1:PORT") with no Google auth at all.
 *
 * Why this is enough: with `sslCreds` google-gax uses those channel credentials as they are and
 * never asks google-auth-library for a token; the only other auth call, the universe-domain
 * check before a stub is created, returns the configured `universeDomain` without looking for
 * credentials or the metadata server.
 */
export function localVertexClientOptions(address: string): ClientOptions {
  const match = /^(.*):(\d+)$/.exec(address);
  if (!match) throw new Error(`Local Vertex AI address must be HOST:PORT, got \`${address}\``);
  return {
    apiEndpoint: match[1] ?? "127.0.0.1",
    port: Number(match[2]),
    sslCreds: credentials.createInsecure(),
    universeDomain: "googleapis.com",
  };
}

/**
 * Per-call options that send `identity` as `authorization: Bearer <identity>` (insecure channels
 * cannot carry call credentials, so the header goes in by hand); pass as a method's last argument.
 */
export function identityCallOptions(identity: string): { otherArgs: { headers: Record<string, string> } } {
  return { otherArgs: { headers: { authorization: `Bearer ${identity}` } } };
}
