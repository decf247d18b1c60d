import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

/** The secret the GitHub ingress tests sign with. */
export const webhookSecret = "modelgate-test-webhook-secret-0123456789";

/** Headers of a GitHub delivery, signed over `body` with the real signing function. */
export async function githubHeaders(
  body: string | Buffer,
  options: { event?: string; delivery?: string; secret?: string } = {},
): Promise<Record<string, string>> {
  return {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/044aadd",
    "x-github-event": options.event ?? "push",
    "x-github-delivery": options.delivery ?? randomUUID(),
    "x-github-hook-id": "480012345",
    "x-hub-signature-256": await sign(options.secret ?? webhookSecret, body.toString()),
  };
}
