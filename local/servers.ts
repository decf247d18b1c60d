import { join } from "node:path";
import { Storage } from "@google-cloud/storage";
import { loadPredictor } from "../examples/fraud-detector/predictor.js";
import { seedExampleData } from "../examples/fraud-detector/seed-data.js";
import type { Config } from "../shared/config.js";
import { type Identity, identityNames } from "../shared/permissions.js";
import { createEndpoints } from "./endpoints-setup.js";
import type { LocalGithubServer } from "./github/index.js";
import {
  type GrantsDocument,
  type IdentityOptions,
  type IdentityPorts,
  identityEnv,
  LocalGrants,
  pubsubAuthorizer,
  storageAuthorizer,
  vertexAuthorizer,
} from "./identity.js";
import { startLocalGithub } from "./local-github.js";
import { startLocalTasks } from "./local-tasks.js";
import { type LocalPubSubServer, startPubSubServer } from "./pubsub/index.js";
import { localStorageClientOptions } from "./storage/client-options.js";
import { type LocalStorageServer, startStorageServer } from "./storage/index.js";
import type { LocalTasksServer } from "./tasks/index.js";
import { createTopologyAt, type TopologyOptions } from "./topology-setup.js";
import { type LocalVertexServer, startVertexServer } from "./vertex/index.js";

export { newGithubAppKey } from "./local-github.js";

/** The local command that stands in for the example model's training container. */
export const exampleTrainerCommand = ["node", "--import", "tsx", "examples/fraud-detector/train.ts"];

export interface LocalServersOptions {
  config: Config;
  /** Persist Cloud Storage objects here; memory otherwise. */
  stateDir?: string;
  ports?: { storage?: number; pubsub?: number; vertex?: number; github?: number };
  /**
   * A Pub/Sub server that is already running ("host:port", e.g. gcloud's emulator): none of ours starts, the
   * topology is created there, and identity enforcement covers Cloud Storage and Vertex AI only.
   */
  pubsubEmulatorHost?: string;
  topology?: TopologyOptions;
  /** Seed the example model's data and golden set (default true). */
  seed?: boolean;
  vertex?: { operationDelayMs?: number; predictLatencyMs?: number; maxInstancesPerRequest?: number };
  log?: (entry: Record<string, unknown>) => void;
  /** Per-identity ports and enforcement of the permission table (on by default; see docs/local-identity.md). */
  identity?: IdentityOptions;
  /** The GitHub App's private key (PEM) the GitHub stand-in verifies against; a new one when absent. */
  githubAppKey?: string;
  /** Runs once the servers listen, while the bucket, topology and endpoints are being set up. */
  alongsideSetup?: (env: Record<string, string>, identity: LocalIdentities) => Promise<void>;
}

export interface LocalServers {
  storage: LocalStorageServer;
  /** The built-in Pub/Sub server; null when `pubsubEmulatorHost` named another one. */
  pubsub: LocalPubSubServer | null;
  vertex: LocalVertexServer;
  /** Cloud Tasks, with the rollout queue (shared/topology.ts). */
  tasks: LocalTasksServer;
  /** The GitHub REST stand-in, and the PEM private key of the App it knows (what Secret.githubAppKey holds). */
  github: LocalGithubServer;
  githubAppKey: string;
  /**
   * The environment that points the Google client libraries (and modelgate's runtime) at these servers' default
   * ports, where calls carry no identity and are allowed as the admin's.
   */
  env: Record<string, string>;
  identity: LocalIdentities;
  close(): Promise<void>;
}

/** The identities' ports and the grants the servers enforce there. */
export interface LocalIdentities {
  enforced: boolean;
  /** Replace with `grants.replace(...)` to change what the servers allow while they run. */
  grants: LocalGrants;
  ports: Partial<Record<Identity, IdentityPorts>>;
  /** The client environment of one identity (its ports); the admin `env` when enforcement is off. */
  envFor(identity: Identity): Record<string, string>;
}

/**
 * Starts the local Cloud Storage, Pub/Sub and Vertex AI servers for a configuration: creates the bucket, the
 * topology (topics, dead-letter topics, subscriptions), each model's endpoint, and seeds the example data. The
 * configured training and serving containers of every model run the example trainer and predictor locally.
 */
export async function startLocalServers(options: LocalServersOptions): Promise<LocalServers> {
  const { config } = options;
  const log = options.log;
  const enforced = options.identity?.enforce ?? true;
  const grants = new LocalGrants(options.identity?.grants, log);
  const identities = enforced ? identityNames : [];
  const ports: Partial<Record<Identity, IdentityPorts>> = {};
  const grantsDocument = (): GrantsDocument => ({ enforced, identities: ports, grants: grants.list() });
  const storage = await startStorageServer({
    port: options.ports?.storage ?? 0,
    ...(options.stateDir ? { dir: join(options.stateDir, "storage") } : {}),
    ...(log ? { log } : {}),
    identities,
    authorize: storageAuthorizer(grants, config.bucket),
    grants: grantsDocument,
  });
  const pubsub = options.pubsubEmulatorHost
    ? null
    : await startPubSubServer({
        port: options.ports?.pubsub ?? 0,
        ...(log ? { log } : {}),
        identities,
        authorize: pubsubAuthorizer(grants, config.project),
      });
  const pubsubAddress = pubsub?.address ?? (options.pubsubEmulatorHost as string);
  const vertex = await startLocalVertex(options, storage, grants, identities);
  const tasks = await startLocalTasks(config, grants, identities, log);
  const { github, githubAppKey } = await startLocalGithub(options);
  const env: Record<string, string> = {
    MODELGATE_TASKS_ENDPOINT: tasks.address,
    MODELGATE_TASKS_INSECURE: "true",
    MODELGATE_GITHUB_API_URL: github.url,
    STORAGE_EMULATOR_HOST: storage.url,
    PUBSUB_EMULATOR_HOST: pubsubAddress,
    MODELGATE_VERTEX_ENDPOINT: vertex.address,
    MODELGATE_VERTEX_INSECURE: "true",
    // No metadata server here: keep google-auth-library from probing for one.
    METADATA_SERVER_DETECTION: "none",
  };
  for (const name of identities) {
    // Another Pub/Sub server enforces nothing: every identity reaches it on its one address.
    const [s, p, v, t] = [
      storage.identityUrls[name],
      pubsub ? pubsub.identityAddresses[name] : pubsubAddress,
      vertex.identityAddresses[name],
      tasks.identityAddresses[name],
    ];
    if (s && p && v && t) ports[name] = { storage: s, pubsub: p, vertex: v, tasks: t };
  }
  const identity: LocalIdentities = {
    enforced,
    grants,
    ports,
    envFor: (name) => identityEnv(env, ports[name]),
  };
  const close = async () => {
    await Promise.allSettled([vertex, pubsub, storage, tasks, github].map((server) => server?.close()));
  };
  const topology = () => createTopologyAt(pubsubAddress, config.project, options.topology);
  try {
    // Independent of each other, and of whatever the caller starts meanwhile (the functions, in the stack).
    await Promise.all([
      createBucketAndData(storage.url, config, options.seed !== false),
      topology(),
      createEndpoints(config, vertex.address),
      options.alongsideSetup?.(env, identity),
    ]);
  } catch (error) {
    await close();
    throw error;
  }
  return { storage, pubsub, vertex, tasks, github, githubAppKey, env, identity, close };
}

/**
 * Starts the Vertex AI server, whose training and serving containers of every configured model run the example
 * trainer and predictor locally.
 */
async function startLocalVertex(
  options: LocalServersOptions,
  storage: LocalStorageServer,
  grants: LocalGrants,
  identities: readonly Identity[],
): Promise<LocalVertexServer> {
  const { config, log } = options;
  const trainers = Object.fromEntries(
    Object.values(config.models).map((m) => [m.training.container, { command: exampleTrainerCommand }]),
  );
  const predictors = Object.fromEntries(
    Object.values(config.models).map((m) => [m.serving.container, loadPredictor]),
  );
  return startVertexServer({
    port: options.ports?.vertex ?? 0,
    project: config.project,
    location: config.region,
    storageApiEndpoint: storage.url,
    // Training jobs run as the trainer account: the only writer of models/.
    ...(storage.identityUrls.trainer ? { trainerStorageApiEndpoint: storage.identityUrls.trainer } : {}),
    identities,
    authorize: vertexAuthorizer(grants, config.project),
    trainers,
    predictors,
    ...options.vertex,
    ...(log ? { log } : {}),
  });
}

/** Creates the bucket if it is missing, and seeds the example model's data into it unless told not to. */
async function createBucketAndData(storageUrl: string, config: Config, seed: boolean): Promise<void> {
  const storageClient = new Storage(localStorageClientOptions(storageUrl, config.project));
  const [bucketExists] = await storageClient.bucket(config.bucket).exists();
  if (!bucketExists) await storageClient.createBucket(config.bucket);
  if (seed) await seedExampleData(storageClient, config.bucket);
}

/** The built-in Pub/Sub server, for what only it offers (faults, idle(), stats()); throws when another one runs. */
export function builtInPubSub(servers: Pick<LocalServers, "pubsub" | "env">): LocalPubSubServer {
  if (!servers.pubsub) {
    throw new Error(
      `this needs modelgate's own Pub/Sub server (faults, idle, stats); the stack uses ${servers.env.PUBSUB_EMULATOR_HOST}`,
    );
  }
  return servers.pubsub;
}
