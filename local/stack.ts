import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "../shared/config.js";
import {
  functions as declared,
  deliveryPolicy,
  FunctionName,
  functionFolder,
  functionNames,
  Secret,
} from "../shared/topology.js";
import { stablePort } from "./free-port.js";
import { type FunctionProcess, startFunctionProcess } from "./function-process.js";
import type { IdentityOptions } from "./identity.js";
import { type LocalIdentities, type LocalServers, newGithubAppKey, startLocalServers } from "./servers.js";

export interface StackOptions {
  config: Config;
  configPath: string;
  /** Persist bucket contents here (state survives a restart); memory when absent. */
  stateDir?: string;
  /** Where to write the stack file the CLI reads (default: none). */
  stackFile?: string;
  /** First of consecutive ports, one per declared function (shared/topology.ts); 0 picks free ports. */
  functionsPort?: number;
  ports?: { storage?: number; pubsub?: number; vertex?: number; github?: number };
  /** Use this running Pub/Sub server ("host:port", e.g. gcloud's emulator) instead of starting ours. */
  pubsubEmulatorHost?: string;
  webhookSecret?: string;
  tektonToken?: string;
  /** The HMAC key a Flux generic-hmac Provider signs with (fluxEvents). */
  fluxSecret?: string;
  /** Retry backoff for the trigger subscriptions (the cloud's 10–600 s would make a demo wait). */
  backoffSeconds?: { minimum: number; maximum: number };
  /** The module that registers the functions, served by the Functions Framework (default: the package's main). */
  source?: string;
  /** A function's own module instead (`npm start`: dist/local/functions/<folder>, see scripts/build-main.mjs). */
  sourceOf?: (name: FunctionName) => string;
  onFunctionLine?: (target: string, line: string) => void;
  log?: (entry: Record<string, unknown>) => void;
  /**
   * Each function reaches the servers on its identity's own ports, where the permission table is enforced
   * (default on); `grants` replaces the table's (a deliberately altered grant). See docs/local-identity.md.
   */
  identity?: IdentityOptions;
}

export interface LocalStack {
  servers: LocalServers;
  functions: Record<FunctionName, FunctionProcess>;
  /**
   * Client environment for the servers' default ports (STORAGE_EMULATOR_HOST…), as the CLI and user scripts need
   * it: calls there carry no identity and are allowed (the admin's). Each function gets its identity's ports instead
   * (`servers.identity.envFor(name)`).
   */
  env: Record<string, string>;
  webhookSecret: string;
  tektonToken: string;
  fluxSecret: string;
  /** Kills a function's process at once (a crashed instance) and starts a new one on the same port. */
  restartFunction(name: FunctionName, how?: "kill" | "stop"): Promise<void>;
  close(): Promise<void>;
}

/**
 * The step-claim lifetime for a retry backoff: a third of the time the trigger subscriptions' redeliveries span,
 * within 5 s to 10 min. A function killed between claiming a step and completing it leaves its claim in progress;
 * the claim must expire while redeliveries are still coming, or the message is dead-lettered instead of finished.
 * The cloud's policy (10–600 s over 15 deliveries, about 90 min) gives the 10 min default.
 */
export function claimTtlSecondsFor(backoff: { minimum: number; maximum: number }): number {
  let span = 0;
  for (let attempt = 1; attempt < deliveryPolicy.maxDeliveryAttempts; attempt++) {
    span += Math.min(backoff.maximum, backoff.minimum * 2 ** (attempt - 1));
  }
  return Math.round(Math.min(600, Math.max(5, span / 3)) * 10) / 10;
}

/** The service account a function runs as; locally the name is the identity. */
export function identityOf(config: Config, name: FunctionName): string {
  return `mg-${functionFolder(name)}@${config.project}.iam.gserviceaccount.com`;
}

/**
 * The whole chain on one machine: the local servers, every function in its own Functions Framework process, and
 * the wiring of the cloud as shared/topology.ts declares it — push subscriptions to the Pub/Sub-triggered
 * functions, bucket finalize events to the storage-triggered one.
 */
export async function startStack(options: StackOptions): Promise<LocalStack> {
  const { config } = options;
  const secretValue = secretValues(options);
  const githubAppKey = secretValue[Secret.githubAppKey.env];
  const ports = await functionPorts(options.functionsPort);
  const urlOf = (name: FunctionName) => `http://127.0.0.1:${ports[name]}/`;
  const backoff = options.backoffSeconds ?? { minimum: 0.5, maximum: 5 };

  const start = (envFor: (name: FunctionName) => Record<string, string>, name: FunctionName) =>
    startFunctionProcess({
      target: name,
      port: ports[name] ?? 0,
      source: options.sourceOf?.(name) ?? options.source ?? ".",
      env: {
        ...functionEnv(envFor(name), name, options, backoff, secretValue),
        // Where a rollout step's task calls back, as Terraform sets it from the function's URL.
        MODELGATE_ADVANCE_ROLLOUT_URL: urlOf(FunctionName.advanceRollout),
      },
      ...(options.onFunctionLine ? { onLine: options.onFunctionLine } : {}),
    });

  const functions = {} as Record<FunctionName, FunctionProcess>;
  // The functions start while the servers set up the bucket, topics and endpoints: nothing reaches them before
  // the push subscriptions exist, and their start-up is most of the stack's.
  const startFunctions = async (_env: Record<string, string>, identity: LocalIdentities) => {
    const results = await Promise.allSettled(functionNames.map((name) => start(identity.envFor, name)));
    for (const result of results)
      if (result.status === "fulfilled") functions[result.value.target as FunctionName] = result.value;
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
  };
  let servers: LocalServers;
  try {
    servers = await startLocalServers({
      config,
      ...(options.stateDir ? { stateDir: options.stateDir } : {}),
      ...(options.ports ? { ports: options.ports } : {}),
      ...(options.pubsubEmulatorHost ? { pubsubEmulatorHost: options.pubsubEmulatorHost } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.identity ? { identity: options.identity } : {}),
      githubAppKey,
      topology: {
        pushEndpoints: Object.fromEntries(functionNames.map((n) => [n, urlOf(n)])),
        backoffSeconds: backoff,
      },
      alongsideSetup: startFunctions,
    });
  } catch (error) {
    await Promise.allSettled(Object.values(functions).map((f) => f.stop()));
    throw error;
  }
  // Bucket finalize events go to the functions declared with a storage trigger, as Eventarc delivers them.
  const unsubscribes = functionNames
    .filter((name) => declared[name].trigger.kind === "storage")
    .map((name) => servers.storage.subscribeFinalize({ bucket: config.bucket, url: urlOf(name) }));

  writeStackFile(options, servers.env, secretValue, urlOf);

  return {
    servers,
    functions,
    env: servers.env,
    webhookSecret: secretValue[Secret.githubWebhookSecret.env],
    tektonToken: secretValue[Secret.tektonSinkToken.env],
    fluxSecret: secretValue[Secret.fluxWebhookSecret.env],
    async restartFunction(name, how = "kill") {
      const current = functions[name];
      await (how === "kill" ? current.kill() : current.stop());
      functions[name] = await start(servers.identity.envFor, name);
    },
    async close() {
      for (const unsubscribe of unsubscribes) unsubscribe();
      await Promise.allSettled(Object.values(functions).map((f) => f.stop()));
      await servers.close();
      if (options.stackFile) rmSync(options.stackFile, { force: true });
    },
  };
}

/** Each declared secret's value: as the options give it, else generated (the GitHub App's key always is). */
function secretValues(options: StackOptions): Record<Secret["env"], string> {
  const generated = () => randomBytes(20).toString("hex");
  return {
    [Secret.githubWebhookSecret.env]: options.webhookSecret ?? generated(),
    [Secret.tektonSinkToken.env]: options.tektonToken ?? generated(),
    [Secret.fluxWebhookSecret.env]: options.fluxSecret ?? generated(),
    [Secret.githubAppKey.env]: newGithubAppKey(),
  };
}

/** One port per declared function, in declaration order: consecutive from `first`, or free ones when it is 0 or absent. */
async function functionPorts(first: number | undefined): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const [i, name] of functionNames.entries()) {
    ports[name] = first ? first + i : await stablePort(new Set(Object.values(ports)));
  }
  return ports;
}

/** A function's environment: the servers' (its identity's ports), its configuration, identity, claim TTL and secrets. */
function functionEnv(
  env: Record<string, string>,
  name: FunctionName,
  options: StackOptions,
  backoff: { minimum: number; maximum: number },
  secretValue: Record<Secret["env"], string>,
): Record<string, string> {
  return {
    ...env,
    MODELGATE_CONFIG: options.configPath,
    MODELGATE_IDENTITY: identityOf(options.config, name),
    MODELGATE_CLAIM_TTL_SECONDS: String(claimTtlSecondsFor(backoff)),
    // Only the secrets the function declares, as Cloud Functions mounts them.
    ...Object.fromEntries(declared[name].secrets.map((secret) => [secret.env, secretValue[secret.env]])),
  };
}

/** Writes the stack file the CLI reads (the servers' environment, the secrets, the functions' URLs), if one is asked for. */
function writeStackFile(
  options: StackOptions,
  env: Record<string, string>,
  secretValue: Record<Secret["env"], string>,
  urlOf: (name: FunctionName) => string,
): void {
  if (!options.stackFile) return;
  mkdirSync(dirname(options.stackFile), { recursive: true });
  writeFileSync(
    options.stackFile,
    JSON.stringify(
      {
        pid: process.pid,
        env: {
          ...env,
          MODELGATE_CONFIG: options.configPath,
          ...secretValue,
        },
        urls: Object.fromEntries(functionNames.map((n) => [n, urlOf(n)])),
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );
}
