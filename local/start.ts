// `npm start`: the whole modelgate chain on this machine, with local Pub/Sub, Cloud Storage and Vertex AI.
// npm runs it from its bundle (dist/local/start.mjs) through local/launch.mjs, which first rebuilds whatever bundle
// is older than its sources; each function serves its own bundle (dist/local/functions/<folder>/).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { stackFilePath } from "../cli/cli-env.js";
import { requestReconcile } from "../cli/commands/reconcile.js";
import { type Config, defaultConfigPath, loadConfig } from "../shared/config.js";
import { ConfigError } from "../shared/errors.js";
import { loadSettings } from "../shared/settings.js";
import {
  type FunctionName,
  functionFolder,
  functionNames,
  functions,
  httpFunctionNames,
} from "../shared/topology.js";
import { formatFunctionLine } from "./function-log.js";
import { type LocalStack, startStack } from "./stack.js";

// Nothing here runs on Google Cloud: keep google-auth-library from probing for a metadata server.
process.env.METADATA_SERVER_DETECTION ??= "none";
const env = process.env;

function port(name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`${name} must be a port number, got "${value}"`);
  return n;
}

/**
 * MODELGATE_RECONCILE_INTERVAL_SECONDS: how often `npm start` asks reconcileEndpoints to compare every endpoint with
 * its applied release, as Cloud Scheduler does in the cloud; 300 unless set, 0 for never.
 */
function reconcileIntervalSeconds(): number {
  const name = "MODELGATE_RECONCILE_INTERVAL_SECONDS";
  const value = env[name];
  if (value === undefined || value === "") return 300;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new ConfigError(`${name} must be a whole number of seconds (0: never), got "${value}"`);
  return n;
}

/** Publishes a reconcile request every `seconds` (as Cloud Scheduler would); a failed publish is said and retried next time. */
function reconcileOnInterval(stack: LocalStack, config: Config, seconds: number): () => void {
  if (seconds === 0) return () => {};
  const context = { config, settings: loadSettings(stack.env) };
  const timer = setInterval(() => {
    requestReconcile(context, {
      trigger: "interval",
      requestedBy: "npm start",
      dryRun: false,
      models: [],
    }).catch((error: unknown) =>
      process.stderr.write(`the scheduled reconcile could not be requested: ${(error as Error).message}\n`),
    );
  }, seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** What `npm start` prints once everything is up: the functions' URLs, the servers, the secrets, the reconcile. */
function readyMessage(
  stack: LocalStack,
  config: Config,
  {
    pubsubEmulatorHost,
    stateDir,
    reconcileEvery,
  }: { pubsubEmulatorHost: string | undefined; stateDir: string | undefined; reconcileEvery: number },
): string {
  const lines = [
    "",
    // Since this process started (npm's own start-up comes before it).
    `modelgate is running (ready in ${(performance.now() / 1000).toFixed(1)} s)`,
    "",
    ...httpFunctionNames.map(
      (name) => `  ${name.padEnd(15)} ${stack.functions[name].url}   (${functions[name].summary})`,
    ),
    "",
    pubsubEmulatorHost
      ? `  Pub/Sub         PUBSUB_EMULATOR_HOST=${pubsubEmulatorHost}   (from your environment: no Pub/Sub started here; identity enforcement covers Cloud Storage and Vertex AI only)`
      : `  Pub/Sub         PUBSUB_EMULATOR_HOST=${stack.env.PUBSUB_EMULATOR_HOST}`,
    `  Cloud Storage   STORAGE_EMULATOR_HOST=${stack.env.STORAGE_EMULATOR_HOST}   bucket ${config.bucket}`,
    `  Vertex AI       MODELGATE_VERTEX_ENDPOINT=${stack.env.MODELGATE_VERTEX_ENDPOINT} (plaintext gRPC)`,
    `  GitHub          MODELGATE_GITHUB_API_URL=${stack.env.MODELGATE_GITHUB_API_URL}   (App ${config.github.app?.id ?? 1}, key generated)`,
    `  state           ${stateDir ?? "in memory (set MODELGATE_STATE_DIR to keep it)"}`,
    "",
    chosenOrGenerated("webhook secret", stack.webhookSecret, "GITHUB_WEBHOOK_SECRET"),
    chosenOrGenerated("Tekton token", stack.tektonToken, "TEKTON_SINK_TOKEN"),
    `  reconcile       ${reconcileEvery === 0 ? "never (MODELGATE_RECONCILE_INTERVAL_SECONDS=0)" : `every ${reconcileEvery} s (MODELGATE_RECONCILE_INTERVAL_SECONDS); now: npx modelgate reconcile`}`,
    chosenOrGenerated("Flux HMAC key", stack.fluxSecret, "FLUX_WEBHOOK_SECRET"),
    "",
    "  Try it: in a second terminal run `npx modelgate demo`. Ctrl-C stops everything.",
    "",
  ];
  return `${lines.join("\n")}\n`;
}

/** A secret's line: the value, and how to choose it when it was generated. */
function chosenOrGenerated(label: string, value: string, variable: string): string {
  return `  ${label.padEnd(15)} ${value}${env[variable] ? "" : `   (generated; set ${variable} to choose)`}`;
}

/** Only the GitHub stand-in's calls are printed from the servers' log: what modelgate read from and wrote to GitHub. */
function printGithubCall(entry: Record<string, unknown>): void {
  if (entry.service === "github") {
    process.stdout.write(`github          ${entry.method} ${entry.path} → ${entry.status}\n`);
  }
}

async function main(): Promise<void> {
  // Until the stack is up, Ctrl-C just exits; the 'exit' hook in function-process.ts takes the functions with it.
  const early = () => process.exit(130);
  process.once("SIGINT", early);
  process.once("SIGTERM", early);
  const configPath = resolve(env.MODELGATE_CONFIG ?? defaultConfigPath);
  const config = loadConfig({ ...env, MODELGATE_CONFIG: configPath });
  const reconcileEvery = reconcileIntervalSeconds();

  const sourceOf = (name: FunctionName) => resolve("dist", "local", "functions", functionFolder(name));
  const unbuilt = functionNames.filter((name) => !existsSync(resolve(sourceOf(name), "index.mjs")));
  if (unbuilt.length > 0) {
    throw new ConfigError(
      `no bundle for ${unbuilt.join(", ")} in dist/local/functions: start with \`npm start\`, which builds what is missing or stale`,
    );
  }

  const stateDir = env.MODELGATE_STATE_DIR ? resolve(env.MODELGATE_STATE_DIR) : undefined;
  const raw = env.MODELGATE_LOG === "json";
  // Another Pub/Sub server (gcloud's emulator, say) replaces ours when PUBSUB_EMULATOR_HOST names one.
  const pubsubEmulatorHost = env.PUBSUB_EMULATOR_HOST || undefined;
  const stack = await startStack({
    config,
    configPath,
    ...(stateDir ? { stateDir } : {}),
    stackFile: resolve(stackFilePath(env)),
    functionsPort: port("MODELGATE_FUNCTIONS_PORT", 8080),
    ...(pubsubEmulatorHost ? { pubsubEmulatorHost } : {}),
    // Each function's own bundle, as `npm run build` makes it for deployment (local/launch.mjs keeps them current).
    sourceOf,
    ports: {
      storage: port("MODELGATE_STORAGE_PORT", 9199),
      pubsub: port("MODELGATE_PUBSUB_PORT", 8681),
      vertex: port("MODELGATE_VERTEX_PORT", 8690),
      github: port("MODELGATE_GITHUB_PORT", 8692),
    },
    log: printGithubCall,
    ...(env.GITHUB_WEBHOOK_SECRET ? { webhookSecret: env.GITHUB_WEBHOOK_SECRET } : {}),
    ...(env.TEKTON_SINK_TOKEN ? { tektonToken: env.TEKTON_SINK_TOKEN } : {}),
    ...(env.FLUX_WEBHOOK_SECRET ? { fluxSecret: env.FLUX_WEBHOOK_SECRET } : {}),
    onFunctionLine: (target, line) => {
      const text = raw ? `${target} ${line}` : formatFunctionLine(target, line);
      if (text) process.stdout.write(`${text}\n`);
    },
  });

  process.stdout.write(readyMessage(stack, config, { pubsubEmulatorHost, stateDir, reconcileEvery }));

  stopOnSignals(stack, early, reconcileOnInterval(stack, config, reconcileEvery));
}

/**
 * Ctrl-C (or SIGTERM) stops the reconcile interval and the stack and exits; `early` was the handler until the stack
 * was up.
 */
function stopOnSignals(stack: LocalStack, early: () => void, stopReconciling: () => void): void {
  process.off("SIGINT", early);
  process.off("SIGTERM", early);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopReconciling();
    process.stdout.write(`\n${signal}: stopping modelgate…\n`);
    await stack.close();
    process.stdout.write("stopped.\n");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`modelgate could not start: ${(error as Error).message}\n`);
  process.exit(1);
});
