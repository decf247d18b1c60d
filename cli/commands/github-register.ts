import { readGithubWebhookSettings } from "../../functions/github-webhook/settings.js";
import { ConfigError } from "../../shared/errors.js";
import { currentSecrets } from "../../shared/ingress/secret-file.js";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";

/** The events modelgate routes: pushes to branches train, pushes of promotion tags deploy. */
export const webhookEvents = ["push"] as const;

interface Hook {
  id: number;
  config?: { url?: string };
}

export const githubRegister: Command = {
  path: ["github", "register"],
  summary: "create or update the repository webhook that sends pushes and tags to githubWebhook",
  usage:
    "usage: modelgate github register --repo OWNER/NAME --url URL\n\n" +
    "  GITHUB_TOKEN           a token allowed to manage the repository's webhooks (admin:repo_hook)\n" +
    "  GITHUB_WEBHOOK_SECRET  the secret githubWebhook verifies (the first line, when several are listed)\n" +
    "  GITHUB_API_URL         the REST API base (default https://api.github.com; set it for GitHub Enterprise)",
  options: { repo: { type: "string" }, url: { type: "string" } },
  async run({ values }, io) {
    const repo = typeof values.repo === "string" ? values.repo : "";
    const url = typeof values.url === "string" ? values.url : "";
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo))
      throw new UsageError(`--repo must be OWNER/NAME\n\n${this.usage}`);
    if (!/^https?:\/\//.test(url))
      throw new UsageError(`--url must be the githubWebhook URL\n\n${this.usage}`);
    const token = io.env.GITHUB_TOKEN;
    if (!token)
      throw new ConfigError(
        "GITHUB_TOKEN is not set: it needs a token that may manage the repository's webhooks",
      );
    // The same reading as githubWebhook's: one secret per line, the first is the one to register.
    const [secret] = await currentSecrets(readGithubWebhookSettings(io.env).secrets);
    const api = (io.env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, "");

    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${api}${path}`, {
        method,
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${token}`,
          "x-github-api-version": "2022-11-28",
          "user-agent": "modelgate-cli",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) {
        throw new ConfigError(
          `GitHub answered ${response.status} to ${method} ${path}: ${text.slice(0, 300)}`,
        );
      }
      return text ? (JSON.parse(text) as unknown) : undefined;
    };

    const config = { url, content_type: "json", secret, insecure_ssl: "0" };
    const hooks: Hook[] = [];
    for (let page = 1; ; page++) {
      const batch = (await call("GET", `/repos/${repo}/hooks?per_page=100&page=${page}`)) as Hook[];
      hooks.push(...batch);
      if (batch.length < 100) break;
    }
    const existing = hooks.find((h) => h.config?.url === url);
    if (existing) {
      await call("PATCH", `/repos/${repo}/hooks/${existing.id}`, {
        config,
        events: webhookEvents,
        active: true,
      });
      io.out(`updated webhook ${existing.id} on ${repo} → ${url} (events: ${webhookEvents.join(", ")})\n`);
    } else {
      const created = (await call("POST", `/repos/${repo}/hooks`, {
        name: "web",
        config,
        events: webhookEvents,
        active: true,
      })) as Hook;
      io.out(`created webhook ${created.id} on ${repo} → ${url} (events: ${webhookEvents.join(", ")})\n`);
    }
    return 0;
  },
};
