import { PubSub } from "@google-cloud/pubsub";
import { Storage } from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAllows } from "../../local/identity.js";
import { builtInPubSub } from "../../local/servers.js";
import { vertexParent } from "../../shared/config.js";
import {
  allows,
  entitlements,
  Identity as Id,
  type Identity,
  identityNames,
  Prefix,
  permissionsOf,
  type ScopeKind,
} from "../../shared/permissions.js";
import { pubsubClientOptions, storageClientOptions } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { subscriptionFor, Topic, topicNames } from "../../shared/topology.js";
import { vertexClientOptions } from "../../shared/vertex/client-options.js";
import { startLocalServers, type TestServers } from "../support/local-servers.js";

// Each identity reaches the local servers on its own ports, by configuration only (the same env variables that
// point the real clients at Google); the servers refuse what shared/permissions.ts does not grant it.
const PERMISSION_DENIED = 7;

describe("local identity enforcement", () => {
  let servers: TestServers;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    servers = await startLocalServers({ seed: false });
  });
  afterAll(async () => {
    await Promise.allSettled(closers.map((close) => close()));
    await servers?.close();
  });

  const config = () => servers.runtime().config;
  const storageAs = (identity: Identity | "admin") => {
    const env = identity === "admin" ? servers.env : servers.identity.envFor(identity);
    return new Storage(storageClientOptions(loadSettings(env), config().project)).bucket(config().bucket);
  };
  const pubsubAs = (identity: Identity) => {
    const client = new PubSub(
      pubsubClientOptions(loadSettings(servers.identity.envFor(identity)), config().project),
    );
    closers.push(() => client.close());
    return client;
  };
  const jobsAs = async (identity: Identity) => {
    const { JobServiceClient } = await import("@google-cloud/aiplatform/build/src/v1/job_service_client.js");
    const env = servers.identity.envFor(identity);
    const client = new JobServiceClient(
      await vertexClientOptions(loadSettings(env).vertexEndpoint, config().region),
    );
    closers.push(() => client.close());
    return client;
  };
  const customJob = {
    displayName: "not-allowed",
    jobSpec: {
      workerPoolSpecs: [
        {
          machineSpec: { machineType: "n1-standard-4" },
          replicaCount: 1,
          containerSpec: { imageUri: "us-docker.pkg.dev/local-project/modelgate/none:latest" },
        },
      ],
    },
  };

  it("gives every identity its own ports, and its environment names them", () => {
    expect(servers.identity.enforced).toBe(true);
    const env = servers.identity.envFor(Id.launchTraining);
    const ports = servers.identity.ports.launchTraining;
    expect(env.STORAGE_EMULATOR_HOST).toBe(servers.storage.identityUrls.launchTraining);
    expect(env.PUBSUB_EMULATOR_HOST).toBe(builtInPubSub(servers).identityAddresses.launchTraining);
    expect(env.MODELGATE_VERTEX_ENDPOINT).toBe(servers.vertex.identityAddresses.launchTraining);
    expect(ports?.vertex).toBe(env.MODELGATE_VERTEX_ENDPOINT);
    expect(env.MODELGATE_TASKS_ENDPOINT).toBe(servers.tasks.identityAddresses.launchTraining);
    expect(env.MODELGATE_VERTEX_ENDPOINT).not.toBe(servers.env.MODELGATE_VERTEX_ENDPOINT);
    const all = identityNames.flatMap((i) => Object.values(servers.identity.ports[i] ?? {}));
    expect(new Set(all).size).toBe(identityNames.length * 4);
  });

  it("refuses CreateCustomJob to githubWebhook and deployModel (PERMISSION_DENIED)", async () => {
    for (const identity of [Id.githubWebhook, Id.deployModel]) {
      const jobs = await jobsAs(identity);
      await expect(jobs.createCustomJob({ parent: vertexParent(config()), customJob })).rejects.toMatchObject(
        { code: PERMISSION_DENIED },
      );
    }
    const refused = servers.vertex.requestLog.filter((e) => e.method === "CreateCustomJob");
    expect(refused.map((e) => [e.identity, e.code])).toEqual([
      [Id.githubWebhook, PERMISSION_DENIED],
      [Id.deployModel, PERMISSION_DENIED],
    ]);
  });

  it("lets launchTraining list custom jobs, which githubWebhook may not", async () => {
    const parent = vertexParent(config());
    await expect((await jobsAs(Id.launchTraining)).listCustomJobs({ parent })).resolves.toBeDefined();
    await expect((await jobsAs(Id.githubWebhook)).listCustomJobs({ parent })).rejects.toMatchObject({
      code: PERMISSION_DENIED,
    });
  });

  it("lets launchTraining start a job as the trainer account only (iam.serviceAccounts.actAs)", async () => {
    const parent = vertexParent(config());
    const jobs = await jobsAs(Id.launchTraining);
    const as = (account: string) => ({
      parent,
      customJob: {
        ...customJob,
        displayName: `as-${account.split("@")[0]}`,
        jobSpec: {
          ...customJob.jobSpec,
          serviceAccount: `${account}@${config().project}.iam.gserviceaccount.com`,
        },
      },
    });
    const refusal = jobs.createCustomJob(as("mg-deploy-model"));
    await expect(refusal).rejects.toMatchObject({ code: PERMISSION_DENIED });
    await expect(refusal).rejects.toThrow(/iam\.serviceAccounts\.actAs.*mg-deploy-model@/);
    // An account of another project, even named like the trainer, is not the trainer.
    await expect(
      jobs.createCustomJob({
        parent,
        customJob: {
          ...customJob,
          jobSpec: {
            ...customJob.jobSpec,
            serviceAccount: "mg-trainer@other-project.iam.gserviceaccount.com",
          },
        },
      }),
    ).rejects.toMatchObject({ code: PERMISSION_DENIED });
    const [job] = await jobs.createCustomJob(as("mg-trainer"));
    expect(job.jobSpec?.serviceAccount).toBe(`mg-trainer@${config().project}.iam.gserviceaccount.com`);
    // Without a service account the job runs as the Vertex AI service agent: no actAs is needed.
    await expect(jobs.createCustomJob({ parent, customJob })).resolves.toBeDefined();
  });
  it("refuses githubWebhook a write under models/ (403) but not under pushes/", async () => {
    const bucket = storageAs(Id.githubWebhook);
    await expect(
      bucket.file("models/fraud-detector/abc/modelgate.json").save("{}", { resumable: false }),
    ).rejects.toMatchObject({ code: 403 });
    await bucket.file("pushes/fraud-detector/a-commit.json").save("{}", { resumable: false });
    // Reading what it just wrote is not in its grants either: pushes/ is create-only for it.
    await expect(bucket.file("pushes/fraud-detector/a-commit.json").download()).rejects.toMatchObject({
      code: 403,
    });
    // deliveries/ is no longer granted at all (bodies are never parked there).
    await expect(
      bucket.file("deliveries/a-body.json").save("{}", { resumable: false }),
    ).rejects.toMatchObject({
      code: 403,
    });
  });

  it("lets only the trainer write models/, and nobody overwrite the ledger", async () => {
    await storageAs(Id.trainer).file("models/m/c/model.json").save("{}", { resumable: false });
    await expect(
      storageAs(Id.registerModel).file("models/m/c/model.json").save("{}", { resumable: false }),
    ).rejects.toMatchObject({ code: 403 });
    const ledger = storageAs(Id.githubWebhook).file("ledger/m/c/001.json");
    await ledger.save("{}", { resumable: false });
    // Overwriting needs storage.objects.delete, which no identity holds on ledger/.
    await expect(ledger.save("{}", { resumable: false })).rejects.toMatchObject({ code: 403 });
    // The admin port (the stack's setup, tests, the CLI) is not restricted.
    await storageAs("admin").file("ledger/m/c/001.json").save("{}", { resumable: false });
  });

  it("checks a listing's prefix: verifyDeployment may list golden/, not the whole bucket", async () => {
    const bucket = storageAs(Id.verifyDeployment);
    await expect(bucket.getFiles({ prefix: `${Prefix.golden}fraud-detector/` })).resolves.toBeDefined();
    await expect(bucket.getFiles({ prefix: "" })).rejects.toMatchObject({ code: 403 });
    await expect(bucket.getFiles({ prefix: Prefix.ledger })).rejects.toMatchObject({ code: 403 });
  });

  it("lets githubWebhook publish to training-requested only, and consume no subscription", async () => {
    const pubsub = pubsubAs(Id.githubWebhook);
    await expect(
      pubsub.topic(Topic.trainingRequested).publishMessage({ data: Buffer.from("{}") }),
    ).resolves.toBeTypeOf("string");
    await expect(
      pubsub.topic(Topic.artifactReady).publishMessage({ data: Buffer.from("{}") }),
    ).rejects.toMatchObject({ code: PERMISSION_DENIED });
    await expect(
      pubsub.subscription(subscriptionFor(Topic.trainingRequested)).getMetadata(),
    ).rejects.toMatchObject({ code: PERMISSION_DENIED });
  });

  it("enforces a replaced grant list at once, and serves it on the admin port", async () => {
    const table = entitlements();
    const altered = table.filter(
      (e) =>
        !(
          e.identity === Id.githubWebhook &&
          e.scope.kind === "topic" &&
          e.scope.value === Topic.trainingRequested
        ),
    );
    servers.identity.grants.replace(altered);
    try {
      await expect(
        pubsubAs(Id.githubWebhook)
          .topic(Topic.trainingRequested)
          .publishMessage({ data: Buffer.from("{}") }),
      ).rejects.toMatchObject({ code: PERMISSION_DENIED });
      const served = await (await fetch(`${servers.storage.url}/_modelgate/grants`)).json();
      expect(served.enforced).toBe(true);
      expect(served.grants).toHaveLength(altered.length);
      expect(Object.keys(served.identities).sort()).toEqual([...identityNames].sort());
    } finally {
      servers.identity.grants.replace(table);
    }
    // Only the admin port serves the grants.
    const onIdentityPort = await fetch(`${servers.storage.identityUrls.githubWebhook}/_modelgate/grants`);
    expect(onIdentityPort.status).toBe(404);
  });

  it("decides exactly as the table's allows() does", () => {
    const grants = entitlements();
    const resources: Array<{ kind: ScopeKind; value?: string }> = [
      { kind: "project" },
      ...Object.values(Prefix).flatMap((p) => [
        { kind: "bucket-prefix" as const, value: `${p}x/y` },
        { kind: "bucket-prefix" as const, value: p.slice(0, -1) },
      ]),
      ...identityNames.map((i) => ({ kind: "bucket-prefix" as const, value: `idempotency/${i}/k` })),
      ...topicNames.map((t) => ({ kind: "topic" as const, value: t })),
      { kind: "endpoint", value: "fraud-detector" },
      ...identityNames.map((i) => ({ kind: "service-account" as const, value: i })),
      { kind: "secret", value: "modelgate-github-webhook-secret" },
      { kind: "topic" },
    ];
    const permissions = [...new Set(identityNames.flatMap(permissionsOf)), "storage.objects.update"];
    for (const identity of identityNames) {
      for (const permission of permissions) {
        for (const resource of resources) {
          expect(grantAllows(grants, identity, permission, resource)).toBe(
            allows(identity, permission, resource),
          );
        }
      }
    }
  });
});
