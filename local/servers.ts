import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { Storage } from "@google-cloud/storage";
import {
  credentials,
  type Client as GrpcClient,
  loadPackageDefinition,
  type ServiceClientConstructor,
  status,
} from "@grpc/grpc-js";
import { loadPredictor } from "../examples/fraud-detector/predictor.js";
import { seedExampleData } from "../examples/fraud-detector/seed-data.js";
import type { Config } from "../shared/config.js";
import { type Identity, identityNames } from "../shared/permissions.js";
import { type LocalGithubServer, startGithubServer } from "./github/index.js";
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
import { type LocalPubSubServer, startPubSubServer } from "./pubsub/index.js";
import { localStorageClientOptions } from "./storage/client-options.js";
import { type LocalStorageServer, startStorageServer } from "./storage/index.js";
import { createTopologyAt, type TopologyOptions } from "./topology-setup.js";
import { type LocalVertexServer, startVertexServer } from "./vertex/index.js";
import { serviceNames, vertexProtos } from "./vertex/protos.js";

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
  const { github, githubAppKey } = await startLocalGithub(options);
  const env: Record<string, string> = {
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
    const [s, p, v] = [
      storage.identityUrls[name],
      pubsub ? pubsub.identityAddresses[name] : pubsubAddress,
      vertex.identityAddresses[name],
    ];
    if (s && p && v) ports[name] = { storage: s, pubsub: p, vertex: v };
  }
  const identity: LocalIdentities = {
    enforced,
    grants,
    ports,
    envFor: (name) => identityEnv(env, ports[name]),
  };
  const close = async () => {
    await Promise.allSettled([vertex.close(), pubsub?.close(), storage.close(), github.close()]);
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
  return { storage, pubsub, vertex, github, githubAppKey, env, identity, close };
}

/** The GitHub stand-in for the configured App (id 1, installation 1 when none is configured) and its key. */
async function startLocalGithub(
  options: LocalServersOptions,
): Promise<{ github: LocalGithubServer; githubAppKey: string }> {
  const githubAppKey = options.githubAppKey ?? newGithubAppKey();
  const app = options.config.github.app ?? { id: 1, installationId: 1 };
  const publicKey = createPublicKey(githubAppKey).export({ type: "spki", format: "pem" }).toString();
  const github = await startGithubServer({
    app: { ...app, publicKey },
    port: options.ports?.github ?? 0,
    ...(options.log ? { log: options.log } : {}),
  });
  return { github, githubAppKey };
}

/** A new RSA key in the PKCS#1 PEM form GitHub hands out for an App. */
export function newGithubAppKey(): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return privateKey.export({ type: "pkcs1", format: "pem" }).toString();
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

/**
 * Creates each model's endpoint through the local server's EndpointService, with a plain gRPC client made from the
 * protos the server has already loaded: the aiplatform client library would build every Vertex AI service from its
 * 4 MB protos.json first (about 2 s of CPU, while the functions are starting on the same cores).
 */
async function createEndpoints(config: Config, address: string): Promise<void> {
  const definitions = loadPackageDefinition(vertexProtos()) as unknown as Record<string, unknown>;
  const service = (name: string) => {
    let at: unknown = definitions;
    for (const part of name.split(".")) at = (at as Record<string, unknown>)[part];
    return at as ServiceClientConstructor;
  };
  const endpoints = new (service(serviceNames.endpoint))(address, credentials.createInsecure());
  const operations = new (service(serviceNames.operations))(address, credentials.createInsecure());
  const call = <T>(client: GrpcClient, method: string, request: object) =>
    new Promise<T>((resolve, reject) => {
      const fn = (client as unknown as Record<string, unknown>)[method] as (
        request: object,
        callback: (error: Error | null, response: T) => void,
      ) => void;
      fn.call(client, request, (error, response) => (error ? reject(error) : resolve(response)));
    });
  type Operation = { name: string; done?: boolean; error?: { code?: number; message?: string } };
  try {
    const parent = `projects/${config.project}/locations/${config.region}`;
    for (const model of Object.values(config.models)) {
      const name = `${parent}/endpoints/${model.endpoint}`;
      try {
        await call(endpoints, "GetEndpoint", { name });
        continue;
      } catch (error) {
        if ((error as { code?: number }).code !== status.NOT_FOUND) throw error;
      }
      let operation = await call<Operation>(endpoints, "CreateEndpoint", {
        parent,
        endpointId: model.endpoint,
        endpoint: { displayName: model.endpoint },
      });
      while (!operation.done)
        operation = await call<Operation>(operations, "WaitOperation", {
          name: operation.name,
          timeout: { seconds: "10" },
        });
      if (operation.error) throw new Error(`creating endpoint ${name} failed: ${operation.error.message}`);
    }
  } finally {
    endpoints.close();
    operations.close();
  }
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
