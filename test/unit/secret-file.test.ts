import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { http } from "@google-cloud/functions-framework";
import { describe, expect, it } from "vitest";
import { createGithubWebhookHandler } from "../../functions/github-webhook/handler.js";
import { githubMaxPayloadBytes, readGithubWebhookSettings } from "../../functions/github-webhook/settings.js";
import { readTektonEventsSettings } from "../../functions/tekton-events/settings.js";
import { ConfigError } from "../../shared/errors.js";
import { secretSource } from "../../shared/ingress/env.js";
import {
  currentSecrets,
  secretFileMaxBytes,
  secretFileReuseMs,
  secretFileSource,
} from "../../shared/ingress/secret-file.js";
import { serveIngress } from "../../shared/ingress/serve-http.js";
import { ingressTestDeps } from "../support/ingress-deps.js";
import { ownFixture } from "../support/ingress-fixtures.js";
import { githubHeaders } from "../support/ingress-github.js";
import { send, serveFunction } from "../support/ingress-http.js";

// Two secrets of the length a deployment must use (at least 32 characters).
const first = "first-secret-first-secret-first-secret";
const second = "second-secret-second-secret-second-secret";

function secretFile(content: string | Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), "modelgate-secret-")), "latest");
  writeFileSync(path, content);
  return path;
}

describe("secrets from a mounted secret file", () => {
  it("reads GITHUB_WEBHOOK_SECRET_FILE and TEKTON_SINK_TOKEN_FILE one secret per line", async () => {
    const webhook = readGithubWebhookSettings({
      GITHUB_WEBHOOK_SECRET_FILE: secretFile(` ${second} \n${first}\n`),
    });
    expect(await currentSecrets(webhook.secrets)).toEqual([second, first]);
    const tekton = readTektonEventsSettings({ TEKTON_SINK_TOKEN_FILE: secretFile(first) });
    expect(await currentSecrets(tekton.tokens)).toEqual([first]);
  });

  it("holds the file to the variable's rules: a comma is part of a secret, a short one is refused", async () => {
    const comma = `${first},${second}`;
    expect(await secretFileSource(secretFile(comma), "X_FILE", "x")()).toEqual([comma]);
    await expect(secretFileSource(secretFile(`${first}\nshort`), "X_FILE", "x")()).rejects.toThrow(
      /X_FILE \(.*\): the secret on line 2 is 5 characters; it must be at least 32/,
    );
  });

  it("sees a new secret version on a warm instance once the reuse window has passed", async () => {
    const path = secretFile(first);
    let clock = 0;
    const source = secretFileSource(path, "X_FILE", "x", { now: () => clock });
    expect(await source()).toEqual([first]);
    writeFileSync(path, `${second}\n${first}`);
    clock = secretFileReuseMs - 1;
    expect(await source()).toEqual([first]);
    clock = secretFileReuseMs;
    expect(await source()).toEqual([second, first]);
  });

  it("lets a warm githubWebhook accept a delivery signed with the rotated-in secret", async () => {
    const path = secretFile(first);
    let clock = 0;
    const deps = ingressTestDeps();
    const handler = createGithubWebhookHandler({
      ...deps,
      secrets: secretFileSource(path, "GITHUB_WEBHOOK_SECRET_FILE", "the secret", { now: () => clock }),
    });
    const body = ownFixture("github/ping.json");
    const ping = async (secret: string) =>
      handler({
        method: "POST",
        headers: await githubHeaders(body, { event: "ping", secret }),
        body: Buffer.from(body),
      });
    expect((await ping(second)).statusCode).toBe(401);
    writeFileSync(path, `${second}\n${first}`);
    clock += secretFileReuseMs;
    expect((await ping(second)).statusCode).toBe(200);
    expect((await ping(first)).statusCode).toBe(200);
  });

  it.each([
    [
      "a missing file",
      () => "/nonexistent/modelgate/secret",
      /X_FILE names \/nonexistent\/modelgate\/secret, which cannot be read \(ENOENT\)/,
    ],
    ["an empty file", () => secretFile(" \n \n"), /X_FILE \(.*\) is empty: it must hold the x secret/],
    [
      "an oversized file",
      () => secretFile(Buffer.alloc(secretFileMaxBytes + 1, "a")),
      new RegExp(`holds ${secretFileMaxBytes + 1} bytes; the x secret is at most ${secretFileMaxBytes}`),
    ],
  ])("refuses %s with a ConfigError naming the variable and the path", async (_, path, message) => {
    const source = secretFileSource(path(), "X_FILE", "the x secret");
    await expect(source()).rejects.toThrow(ConfigError);
    await expect(source()).rejects.toThrow(message);
  });

  it("reads again after a failed read instead of keeping the failure", async () => {
    const dir = mkdtempSync(join(tmpdir(), "modelgate-secret-"));
    const path = join(dir, "latest");
    const source = secretFileSource(path, "X_FILE", "x", { now: () => 0 });
    await expect(source()).rejects.toThrow(/cannot be read/);
    writeFileSync(path, first);
    expect(await source()).toEqual([first]);
  });

  it("refuses both the variable and its _FILE form, and keeps the variable alone working", () => {
    expect(() => secretSource({ X: first, X_FILE: "/etc/secrets/x" }, "X", "x")).toThrow(
      "X and X_FILE are both set: set one (X_FILE in production)",
    );
    expect(secretSource({ X: `${first}\n${second}` }, "X", "x")).toEqual([first, second]);
    expect(() => secretSource({}, "X", "x")).toThrow(/X is not set/);
  });
});

describe("serveIngress when the secret file cannot be read", () => {
  it("answers 500 and says the function failed, instead of dropping the request", async () => {
    const deps = ingressTestDeps();
    const name = "githubWebhookUnreadableSecret";
    http(
      name,
      serveIngress(
        name,
        { maxBodyBytes: githubMaxPayloadBytes },
        createGithubWebhookHandler({
          ...deps,
          ...readGithubWebhookSettings({ GITHUB_WEBHOOK_SECRET_FILE: "/nonexistent/modelgate/secret" }),
        }),
      ),
    );
    const served = await serveFunction(name);
    try {
      const body = ownFixture("github/ping.json");
      const answer = await send(served.url, {
        headers: await githubHeaders(body, { event: "ping", secret: first }),
        body,
      });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 500,
        body: { status: "error", reason: "the function failed; see its logs" },
      });
    } finally {
      await served.close();
    }
  });
});
