import { createHmac } from "node:crypto";
import { ownJson } from "./ingress-fixtures.js";

/** The HMAC key the Flux ingress tests' Provider signs with. */
export const fluxSecret = "modelgate-test-flux-hmac-key-0123456789abcdef";

/** The commit the Kustomization fixture reports (`main@sha1:<this>`). */
export const fluxCommit = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/** The headers notification-controller sends with `body`, signed as its generic-hmac forwarder signs it. */
export function fluxHeaders(
  body: string | Buffer,
  secret: string | null = fluxSecret,
): Record<string, string> {
  return {
    "content-type": "application/json",
    "gotk-component": "kustomize-controller",
    "user-agent": "Go-http-client/1.1",
    ...(secret === null
      ? {}
      : { "x-signature": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}` }),
  };
}

/** The Kustomization fixture with `changes` applied to it, as JSON text; `timestamp` set to `at`. */
export function fluxEventBody(at: Date, changes: (event: Record<string, any>) => void = () => {}): string {
  const event = ownJson<Record<string, any>>("flux/kustomization-succeeded.json");
  event.timestamp = at.toISOString().replace(/\.\d{3}Z$/, "Z");
  changes(event);
  return JSON.stringify(event);
}
