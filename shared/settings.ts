import * as z from "zod";
import { defaultClaimTtlMs } from "./claim-store.js";
import { ConfigError } from "./errors.js";

/** Where Vertex AI calls go instead of the regional Google endpoint: a private endpoint, or the local stand-in. */
export interface VertexEndpoint {
  host: string;
  port: number;
  /** Plaintext gRPC, for a loopback server. */
  insecure: boolean;
}

/**
 * The instance's environment, parsed once at start (beside loadConfig): which endpoints the client libraries
 * reach, how long a step's claim holds, and the account the function runs as. Nothing below the entry point
 * reads the environment; the adapters get these fields.
 */
export interface Settings {
  /** MODELGATE_VERTEX_ENDPOINT ("host:port") with MODELGATE_VERTEX_INSECURE; undefined → `<region>-aiplatform.googleapis.com`. */
  vertexEndpoint: VertexEndpoint | undefined;
  /** STORAGE_EMULATOR_HOST, the Cloud Storage library's own convention. */
  storageEmulatorHost: string | undefined;
  /** PUBSUB_EMULATOR_HOST ("host:port"), the Pub/Sub library's own convention. */
  pubsubEmulatorHost: string | undefined;
  /**
   * MODELGATE_CLAIM_TTL_SECONDS, else 10 minutes. It must be shorter than the time the subscription's redeliveries
   * span, or a step whose instance died between claim and completion is dead-lettered instead of finished by a
   * redelivery (the local stack's 0.2–2 s backoff spans about 23 s; the cloud's 10–600 s, about 90 minutes).
   */
  claimTtlMs: number;
  /** MODELGATE_IDENTITY: the service account this function runs as, recorded in the ledger. */
  identity: string | undefined;
  /** MODELGATE_TASKS_ENDPOINT ("host:port") with MODELGATE_TASKS_INSECURE; undefined → cloudtasks.googleapis.com. */
  tasksEndpoint: VertexEndpoint | undefined;
  /** MODELGATE_ADVANCE_ROLLOUT_URL: advanceRollout's URL, the target of a rollout step's task (Terraform sets it). */
  advanceRolloutUrl: string | undefined;
  /** MODELGATE_GITHUB_API_URL, else `https://api.github.com`: GitHub Enterprise's `/api/v3`, or the local stand-in. */
  githubApiUrl: string;
}

/** An unset or empty variable is absent. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** "host:port", as the client libraries' endpoint variables take it. */
const HostPortText = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, { error: 'must be "host:port"', abort: true })
  .refine((value) => {
    const port = Number(value.slice(value.lastIndexOf(":") + 1));
    return port > 0 && port <= 65535;
  }, "the port must be 1 to 65535");
const HostPort = HostPortText.transform((value) => {
  const at = value.lastIndexOf(":");
  return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
});
const TrueFalse = z.enum(["true", "false"], 'must be "true" or "false"');

const SettingsEnv = z.object({
  MODELGATE_VERTEX_ENDPOINT: optional(HostPort),
  MODELGATE_VERTEX_INSECURE: optional(TrueFalse),
  MODELGATE_TASKS_ENDPOINT: optional(HostPort),
  MODELGATE_TASKS_INSECURE: optional(TrueFalse),
  MODELGATE_ADVANCE_ROLLOUT_URL: optional(z.url({ protocol: /^https?$/ })),
  STORAGE_EMULATOR_HOST: optional(z.string()),
  PUBSUB_EMULATOR_HOST: optional(HostPortText),
  MODELGATE_CLAIM_TTL_SECONDS: optional(
    z.coerce
      .number<string>("must be a number of seconds")
      .refine((seconds) => Number.isFinite(seconds) && seconds > 0, "must be a positive number of seconds"),
  ),
  MODELGATE_IDENTITY: optional(z.string()),
  MODELGATE_GITHUB_API_URL: optional(
    z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://api.github.com" })
      .transform((url) => url.replace(/\/+$/, "")),
  ),
});

/** Parses the environment's settings; a bad value throws a ConfigError naming each variable at fault. */
export function loadSettings(env: Record<string, string | undefined>): Settings {
  const parsed = SettingsEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${String(issue.path[0])}=${JSON.stringify(env[String(issue.path[0])])}: ${issue.message}`,
    );
    throw new ConfigError(`bad environment: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    vertexEndpoint: e.MODELGATE_VERTEX_ENDPOINT && {
      ...e.MODELGATE_VERTEX_ENDPOINT,
      insecure: e.MODELGATE_VERTEX_INSECURE === "true",
    },
    storageEmulatorHost: e.STORAGE_EMULATOR_HOST,
    pubsubEmulatorHost: e.PUBSUB_EMULATOR_HOST,
    claimTtlMs:
      e.MODELGATE_CLAIM_TTL_SECONDS === undefined ? defaultClaimTtlMs : e.MODELGATE_CLAIM_TTL_SECONDS * 1000,
    identity: e.MODELGATE_IDENTITY,
    tasksEndpoint: e.MODELGATE_TASKS_ENDPOINT && {
      ...e.MODELGATE_TASKS_ENDPOINT,
      insecure: e.MODELGATE_TASKS_INSECURE === "true",
    },
    advanceRolloutUrl: e.MODELGATE_ADVANCE_ROLLOUT_URL,
    githubApiUrl: e.MODELGATE_GITHUB_API_URL ?? "https://api.github.com",
  };
}
