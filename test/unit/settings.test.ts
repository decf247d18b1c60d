import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultClaimTtlMs } from "../../shared/claim-store.js";
import { ConfigError } from "../../shared/errors.js";
import { createRuntime } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";

describe("loadSettings", () => {
  it("reads the endpoints, the claim lifetime and the identity, and leaves unset or empty ones absent", () => {
    expect(
      loadSettings({
        MODELGATE_VERTEX_ENDPOINT: "127.0.0.1:8690",
        MODELGATE_VERTEX_INSECURE: "true",
        STORAGE_EMULATOR_HOST: "http://127.0.0.1:9199",
        PUBSUB_EMULATOR_HOST: "127.0.0.1:8681",
        MODELGATE_CLAIM_TTL_SECONDS: "7.5",
        MODELGATE_IDENTITY: "mg-deploy-model@p.iam.gserviceaccount.com",
        MODELGATE_GITHUB_API_URL: "http://127.0.0.1:8692/",
      }),
    ).toEqual({
      vertexEndpoint: { host: "127.0.0.1", port: 8690, insecure: true },
      storageEmulatorHost: "http://127.0.0.1:9199",
      pubsubEmulatorHost: "127.0.0.1:8681",
      claimTtlMs: 7500,
      identity: "mg-deploy-model@p.iam.gserviceaccount.com",
      githubApiUrl: "http://127.0.0.1:8692",
    });
    expect(loadSettings({ MODELGATE_VERTEX_ENDPOINT: "", MODELGATE_CLAIM_TTL_SECONDS: "" })).toEqual({
      vertexEndpoint: undefined,
      storageEmulatorHost: undefined,
      pubsubEmulatorHost: undefined,
      claimTtlMs: defaultClaimTtlMs,
      identity: undefined,
      githubApiUrl: "https://api.github.com",
    });
  });

  it.each([
    ["MODELGATE_VERTEX_ENDPOINT", "localhost", /host:port/],
    ["MODELGATE_VERTEX_ENDPOINT", "https://aiplatform.example:443", /host:port/],
    ["MODELGATE_VERTEX_ENDPOINT", "localhost:99999", /1 to 65535/],
    ["PUBSUB_EMULATOR_HOST", "localhost", /host:port/],
    ["PUBSUB_EMULATOR_HOST", "http://localhost:8085", /host:port/],
    ["PUBSUB_EMULATOR_HOST", "localhost:0", /1 to 65535/],
    ["MODELGATE_VERTEX_INSECURE", "yes", /"true" or "false"/],
    ["MODELGATE_CLAIM_TTL_SECONDS", "soon", /seconds/],
    ["MODELGATE_CLAIM_TTL_SECONDS", "0", /positive/],
    ["MODELGATE_CLAIM_TTL_SECONDS", "-3", /positive/],
    ["MODELGATE_GITHUB_API_URL", "api.github.com", /http\(s\) URL/],
    ["MODELGATE_GITHUB_API_URL", "ftp://api.github.com", /http\(s\) URL/],
  ])("rejects %s=%s with a ConfigError naming the variable and its value", (name, value, why) => {
    const load = () => loadSettings({ [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`${name}="${value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"`));
    expect(load).toThrow(why);
  });
});

describe("a bad setting fails the instance at start", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it("createRuntime throws for a mistyped MODELGATE_VERTEX_ENDPOINT, before any Vertex AI call", () => {
    expect(() => createRuntime({ MODELGATE_VERTEX_ENDPOINT: "localhost" })).toThrow(
      /MODELGATE_VERTEX_ENDPOINT/,
    );
  });

  it("a Pub/Sub-triggered function's module fails to load, so the instance takes no message", async () => {
    vi.stubEnv("MODELGATE_VERTEX_ENDPOINT", "localhost");
    vi.resetModules();
    await expect(import("../../functions/deploy-model/index.js")).rejects.toThrow(
      /MODELGATE_VERTEX_ENDPOINT/,
    );
  });

  // Issue #15 item 3: the ingress functions built their runtime on the first request, so a bad value was found only
  // then (answered 500 to the caller) instead of failing the instance before it took a request.
  it.each([
    {
      entry: "github-webhook",
      load: () => import("../../functions/github-webhook/index.js"),
      env: { GITHUB_WEBHOOK_SECRET: "", GITHUB_WEBHOOK_SECRET_FILE: "" },
      named: /GITHUB_WEBHOOK_SECRET is not set/,
    },
    {
      entry: "tekton-events",
      load: () => import("../../functions/tekton-events/index.js"),
      env: { TEKTON_SINK_TOKEN: "t".repeat(40), MODELGATE_CLAIM_TTL_SECONDS: "0" },
      named: /MODELGATE_CLAIM_TTL_SECONDS="0"/,
    },
    {
      entry: "artifact-uploaded",
      load: () => import("../../functions/artifact-uploaded/index.js"),
      env: { MODELGATE_CONFIG: "/nonexistent/modelgate.config.yaml" },
      named: /MODELGATE_CONFIG/,
    },
  ])(
    "the ingress function $entry's module fails to load, naming the variable",
    async ({ load, env, named }) => {
      for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
      vi.resetModules();
      await expect(load()).rejects.toThrow(named);
    },
  );
});
