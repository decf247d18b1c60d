import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "../shared/config.js";
import { FunctionName, functionNames } from "../shared/topology.js";
import { freePort } from "./free-port.js";
import { type FunctionProcess, startFunctionProcess } from "./function-process.js";
import { type LocalServers, startLocalServers } from "./servers.js";

export interface StackOptions {
  config: Config;
  configPath: string;
  /** Persist bucket contents here (state survives a restart); memory when absent. */
  stateDir?: string;
  /** Where to write the stack file the CLI reads (default: none). */
  stackFile?: string;
  /** First of eight consecutive ports for the functions; 0 picks free ports. */
  functionsPort?: number;
  ports?: { storage?: number; pubsub?: number; vertex?: number };
  webhookSecret?: string;
  tektonToken?: string;
  /** Retry backoff for the trigger subscriptions (the cloud's 10–600 s would make a demo wait). */
  backoffSeconds?: { minimum: number; maximum: number };
  /** The module that registers the functions, served by the Functions Framework. */
  source?: string;
  onFunctionLine?: (target: string, line: string) => void;
  log?: (entry: Record<string, unknown>) => void;
}

export interface LocalStack {
  servers: LocalServers;
  functions: Record<FunctionName, FunctionProcess>;
  /** Client environment for the servers (STORAGE_EMULATOR_HOST…), as the CLI and user scripts need it. */
  env: Record<string, string>;
  webhookSecret: string;
  tektonToken: string;
  /** Kills a function's process at once (a crashed instance) and starts a new one on the same port. */
  restartFunction(name: FunctionName, how?: "kill" | "stop"): Promise<void>;
  close(): Promise<void>;
}

/** The service account a function runs as; locally the name is the identity. */
export function identityOf(config: Config, name: FunctionName): string {
  const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return `mg-${kebab}@${config.project}.iam.gserviceaccount.com`;
}

/**
 * The whole chain on one machine: the local servers, every function in its own Functions Framework process, and
 * the wiring of the cloud — push subscriptions to the Pub/Sub-triggered functions, bucket finalize events to
 * artifactUploaded.
 */
export async function startStack(options: StackOptions): Promise<LocalStack> {
  const { config } = options;
  const webhookSecret = options.webhookSecret ?? randomBytes(20).toString("hex");
  const tektonToken = options.tektonToken ?? randomBytes(20).toString("hex");
  const ports: Record<string, number> = {};
  for (const [i, name] of functionNames.entries()) {
    ports[name] = options.functionsPort ? options.functionsPort + i : await freePort();
  }
  const urlOf = (name: FunctionName) => `http://127.0.0.1:${ports[name]}/`;

  const functionEnv = (env: Record<string, string>, name: FunctionName): Record<string, string> => ({
    ...env,
    MODELGATE_CONFIG: options.configPath,
    MODELGATE_IDENTITY: identityOf(config, name),
    GITHUB_WEBHOOK_SECRET: webhookSecret,
    TEKTON_SINK_TOKEN: tektonToken,
  });
  const start = (env: Record<string, string>, name: FunctionName) =>
    startFunctionProcess({
      target: name,
      port: ports[name] ?? 0,
      source: options.source ?? ".",
      env: functionEnv(env, name),
      ...(options.onFunctionLine ? { onLine: options.onFunctionLine } : {}),
    });

  const functions = {} as Record<FunctionName, FunctionProcess>;
  // The functions start while the servers set up the bucket, topics and endpoints: nothing reaches them before
  // the push subscriptions exist, and their start-up is most of the stack's.
  const startFunctions = async (env: Record<string, string>) => {
    const results = await Promise.allSettled(functionNames.map((name) => start(env, name)));
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
      ...(options.log ? { log: options.log } : {}),
      topology: {
        pushEndpoints: Object.fromEntries(functionNames.map((n) => [n, urlOf(n)])),
        backoffSeconds: options.backoffSeconds ?? { minimum: 0.5, maximum: 5 },
      },
      alongsideSetup: startFunctions,
    });
  } catch (error) {
    await Promise.allSettled(Object.values(functions).map((f) => f.stop()));
    throw error;
  }
  const unsubscribe = servers.storage.subscribeFinalize({
    bucket: config.bucket,
    url: urlOf(FunctionName.artifactUploaded),
  });

  if (options.stackFile) {
    mkdirSync(dirname(options.stackFile), { recursive: true });
    writeFileSync(
      options.stackFile,
      JSON.stringify(
        {
          pid: process.pid,
          env: {
            ...servers.env,
            MODELGATE_CONFIG: options.configPath,
            GITHUB_WEBHOOK_SECRET: webhookSecret,
            TEKTON_SINK_TOKEN: tektonToken,
          },
          urls: Object.fromEntries(functionNames.map((n) => [n, urlOf(n)])),
        },
        null,
        2,
      ),
      { mode: 0o600 },
    );
  }

  return {
    servers,
    functions,
    env: servers.env,
    webhookSecret,
    tektonToken,
    async restartFunction(name, how = "kill") {
      const current = functions[name];
      await (how === "kill" ? current.kill() : current.stop());
      functions[name] = await start(servers.env, name);
    },
    async close() {
      unsubscribe();
      await Promise.allSettled(Object.values(functions).map((f) => f.stop()));
      await servers.close();
      if (options.stackFile) rmSync(options.stackFile, { force: true });
    },
  };
}
