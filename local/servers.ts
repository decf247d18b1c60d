import { join } from "node:path";
import { PubSub } from "@google-cloud/pubsub";
import { Storage } from "@google-cloud/storage";
import { loadPredictor } from "../examples/fraud-detector/predictor.js";
import { seedExampleData } from "../examples/fraud-detector/seed-data.js";
import type { Config } from "../shared/config.js";
import { type Identity, identityNames } from "../shared/permissions.js";
import { pubsubClientOptions, storageClientOptions } from "../shared/runtime.js";
import { vertexClientOptions } from "../shared/vertex/client-options.js";
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
import { type LocalStorageServer, startStorageServer } from "./storage/index.js";
import { createTopology, type TopologyOptions } from "./topology-setup.js";
import { type LocalVertexServer, startVertexServer } from "./vertex/index.js";

/** The local command that stands in for the example model's training container. */
export const exampleTrainerCommand = ["node", "--import", "tsx", "examples/fraud-detector/train.ts"];

export interface LocalServersOptions {
  config: Config;
  /** Persist Cloud Storage objects here; memory otherwise. */
  stateDir?: string;
  ports?: { storage?: number; pubsub?: number; vertex?: number };
  topology?: TopologyOptions;
  /** Seed the example model's data and golden set (default true). */
  seed?: boolean;
  vertex?: { operationDelayMs?: number; predictLatencyMs?: number; maxInstancesPerRequest?: number };
  log?: (entry: Record<string, unknown>) => void;
  /** Per-identity ports and enforcement of the permission table (on by default; see docs/local-identity.md). */
  identity?: IdentityOptions;
  /** Runs once the servers listen, while the bucket, topology and endpoints are being set up. */
  alongsideSetup?: (env: Record<string, string>, identity: LocalIdentities) => Promise<void>;
}

export interface LocalServers {
  storage: LocalStorageServer;
  pubsub: LocalPubSubServer;
  vertex: LocalVertexServer;
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
  const pubsub = await startPubSubServer({
    port: options.ports?.pubsub ?? 0,
    ...(log ? { log } : {}),
    identities,
    authorize: pubsubAuthorizer(grants, config.project),
  });
  const trainers = Object.fromEntries(
    Object.values(config.models).map((m) => [m.training.container, { command: exampleTrainerCommand }]),
  );
  const predictors = Object.fromEntries(
    Object.values(config.models).map((m) => [m.serving.container, loadPredictor]),
  );
  const vertex = await startVertexServer({
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
  const env: Record<string, string> = {
    STORAGE_EMULATOR_HOST: storage.url,
    PUBSUB_EMULATOR_HOST: pubsub.address,
    MODELGATE_VERTEX_ENDPOINT: vertex.address,
    MODELGATE_VERTEX_INSECURE: "true",
    // No metadata server here: keep google-auth-library from probing for one.
    METADATA_SERVER_DETECTION: "none",
  };
  for (const name of identities) {
    const [s, p, v] = [
      storage.identityUrls[name],
      pubsub.identityAddresses[name],
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
    await Promise.allSettled([vertex.close(), pubsub.close(), storage.close()]);
  };
  const bucketAndData = async () => {
    const storageClient = new Storage(storageClientOptions(env, config.project));
    const [bucketExists] = await storageClient.bucket(config.bucket).exists();
    if (!bucketExists) await storageClient.createBucket(config.bucket);
    if (options.seed !== false) await seedExampleData(storageClient, config.bucket);
  };
  const topology = async () => {
    const pubsubClient = new PubSub(pubsubClientOptions(env, config.project));
    await createTopology(pubsubClient, options.topology);
    await pubsubClient.close();
  };
  try {
    // Independent of each other, and of whatever the caller starts meanwhile (the functions, in the stack).
    await Promise.all([
      bucketAndData(),
      topology(),
      createEndpoints(config, env),
      options.alongsideSetup?.(env, identity),
    ]);
  } catch (error) {
    await close();
    throw error;
  }
  return { storage, pubsub, vertex, env, identity, close };
}

async function createEndpoints(config: Config, env: Record<string, string>): Promise<void> {
  const { EndpointServiceClient } = await import(
    "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js"
  );
  const client = new EndpointServiceClient(await vertexClientOptions(env, config.region));
  try {
    const parent = `projects/${config.project}/locations/${config.region}`;
    for (const model of Object.values(config.models)) {
      try {
        await client.getEndpoint({ name: `${parent}/endpoints/${model.endpoint}` });
      } catch {
        const [operation] = await client.createEndpoint({
          parent,
          endpointId: model.endpoint,
          endpoint: { displayName: model.endpoint },
        });
        await operation.promise();
      }
    }
  } finally {
    await client.close();
  }
}
