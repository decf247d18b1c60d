import { EndpointServiceClient } from "@google-cloud/aiplatform/build/src/v1/endpoint_service_client.js";
import { ModelServiceClient } from "@google-cloud/aiplatform/build/src/v1/model_service_client.js";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  identityCallOptions,
  type LocalVertexServer,
  localVertexClientOptions,
  startVertexServer,
  vertexPermissions,
} from "../../local/vertex/index.js";
import { type PermissionCheck, resolveCheck } from "../../local/vertex/permissions.js";
import { rejection } from "../support/rejection.js";

const IMAGE = "local/serving:1";

let server: LocalVertexServer;
let models: ModelServiceClient;

// Nothing here reads artifacts, so no Cloud Storage server is needed behind the URL.
beforeAll(async () => {
  server = await startVertexServer({ storageApiEndpoint: "http://127.0.0.1:9", operationDelayMs: 5 });
  models = new ModelServiceClient(localVertexClientOptions(server.address));
});

afterAll(async () => {
  await models?.close();
  await server?.close();
});

async function upload(
  options: {
    parentModel?: string;
    modelId?: string;
    aliases?: string[];
    labels?: Record<string, string>;
  } = {},
) {
  const [operation] = await models.uploadModel({
    parent: server.parent,
    ...(options.parentModel ? { parentModel: options.parentModel } : {}),
    ...(options.modelId ? { modelId: options.modelId } : {}),
    model: {
      displayName: "fraud-detector",
      artifactUri: "gs://bucket/models/fraud-detector/abc/model/",
      containerSpec: { imageUri: IMAGE },
      versionAliases: options.aliases ?? [],
      labels: options.labels ?? {},
    },
  });
  const [response] = await operation.promise();
  return { name: response.model as string, versionId: response.modelVersionId as string, operation };
}

async function aliasesByVersion(name: string): Promise<Record<string, string[]>> {
  const [versions] = await models.listModelVersions({ name });
  return Object.fromEntries(
    versions.map((v) => [v.versionId as string, [...(v.versionAliases ?? [])].sort()]),
  );
}

describe("UploadModel and versions", () => {
  it("creates a model whose first version is 1 with the default alias", async () => {
    const { name, versionId, operation } = await upload({ modelId: "fraud", labels: { commit: "abc" } });
    expect(name).toBe(`${server.parent}/models/fraud`);
    expect(versionId).toBe("1");
    expect(operation.name?.startsWith(`${name}/operations/`)).toBe(true);
    const [model] = await models.getModel({ name });
    expect(model).toMatchObject({
      name,
      versionId: "1",
      versionAliases: ["default"],
      displayName: "fraud-detector",
      labels: { commit: "abc" },
      containerSpec: { imageUri: IMAGE },
    });
  });

  it("adds versions 2, 3… under parent_model and moves an alias to the version that takes it", async () => {
    const { name } = await upload({ aliases: ["champion"] });
    const second = await upload({ parentModel: name, aliases: ["challenger"] });
    expect(second).toMatchObject({ name, versionId: "2" });
    const third = await upload({ parentModel: name, aliases: ["champion", "challenger"] });
    expect(third.versionId).toBe("3");
    expect(await aliasesByVersion(name)).toEqual({
      "1": ["default"],
      "2": [],
      "3": ["challenger", "champion"],
    });

    // Without a suffix GetModel answers the default version; with one, that version or alias.
    expect((await models.getModel({ name }))[0].versionId).toBe("1");
    expect((await models.getModel({ name: `${name}@2` }))[0].versionId).toBe("2");
    expect((await models.getModel({ name: `${name}@champion` }))[0].versionId).toBe("3");
    await expect(models.getModel({ name: `${name}@9` })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(models.getModel({ name: `${name}@golden` })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it("uploading a version with the default alias moves the default there", async () => {
    const { name } = await upload();
    await upload({ parentModel: name, aliases: ["default"] });
    expect((await models.getModel({ name }))[0].versionId).toBe("2");
    expect(await aliasesByVersion(name)).toEqual({ "1": [], "2": ["default"] });
  });

  it.each([
    ["no display name", { displayName: "" }, /display_name/],
    ["no artifact_uri", { artifactUri: "" }, /artifact_uri/],
    ["an artifact_uri that is not gs://", { artifactUri: "/tmp/model" }, /gs:\/\//],
    ["no serving container", { containerSpec: {} }, /container_spec.image_uri/],
    ["an invalid alias", { versionAliases: ["Champion"] }, /Champion/],
    ["an alias that looks like a version id", { versionAliases: ["2"] }, /\b2\b/],
  ])("refuses a model with %s", async (_case, change, message) => {
    const error = await rejection(
      models.uploadModel({
        parent: server.parent,
        model: { displayName: "m", artifactUri: "gs://b/m/", containerSpec: { imageUri: IMAGE }, ...change },
      }),
    );
    expect(error).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((error as Error).message).toMatch(message);
  });

  it("refuses an unknown parent_model, a taken model_id and a parent in another location", async () => {
    const model = { displayName: "m", artifactUri: "gs://b/m/", containerSpec: { imageUri: IMAGE } };
    await expect(
      models.uploadModel({ parent: server.parent, parentModel: `${server.parent}/models/nope`, model }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
    await upload({ modelId: "taken" });
    await expect(
      models.uploadModel({ parent: server.parent, modelId: "taken", model }),
    ).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
    });
    await expect(
      models.uploadModel({ parent: "projects/local-project/locations/asia-east1", model }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining("asia-east1"),
    });
  });
});

describe("MergeVersionAliases", () => {
  it("adds aliases, moves them off other versions, and removes them with a leading -", async () => {
    const { name } = await upload({ aliases: ["champion"] });
    await upload({ parentModel: name });
    const [merged] = await models.mergeVersionAliases({
      name: `${name}@2`,
      versionAliases: ["champion", "canary"],
    });
    expect([...(merged.versionAliases ?? [])].sort()).toEqual(["canary", "champion"]);
    expect(await aliasesByVersion(name)).toEqual({ "1": ["default"], "2": ["canary", "champion"] });

    const [removed] = await models.mergeVersionAliases({ name: `${name}@2`, versionAliases: ["-canary"] });
    expect(removed.versionAliases).toEqual(["champion"]);

    // Moving `default` is how the default version changes.
    await models.mergeVersionAliases({ name: `${name}@champion`, versionAliases: ["default"] });
    expect((await models.getModel({ name }))[0].versionId).toBe("2");
  });

  it.each([
    ["removing the default alias", "@1", ["-default"], status.INVALID_ARGUMENT, /default/],
    ["a name without a version", "", ["x1"], status.INVALID_ARGUMENT, /model version/],
    ["no aliases", "@1", [], status.INVALID_ARGUMENT, /version_aliases/],
    ["an invalid alias", "@1", ["-Bad_alias"], status.INVALID_ARGUMENT, /Bad_alias/],
    ["an unknown version", "@7", ["x1"], status.NOT_FOUND, /@7/],
  ])("refuses %s", async (_case, suffix, versionAliases, code, message) => {
    const { name } = await upload();
    const error = await rejection(models.mergeVersionAliases({ name: `${name}${suffix}`, versionAliases }));
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toMatch(message);
    expect(await aliasesByVersion(name)).toEqual({ "1": ["default"] });
  });
});

describe("ListModels, ListModelVersions and UpdateModel", () => {
  it("filters models and versions by labels", async () => {
    const { name } = await upload({ labels: { "modelgate-model": "listing", "modelgate-commit": "c1" } });
    await upload({ parentModel: name, labels: { "modelgate-model": "listing", "modelgate-commit": "c2" } });
    await upload({ labels: { "modelgate-model": "other" } });

    const [listed] = await models.listModels({
      parent: server.parent,
      filter: "labels.modelgate-model=listing",
    });
    expect(listed.map((model) => [model.name, model.versionId])).toEqual([[name, "1"]]);

    const [versions] = await models.listModelVersions({ name, filter: 'labels.modelgate-commit="c2"' });
    expect(versions.map((model) => model.versionId)).toEqual(["2"]);
    const [withLabel] = await models.listModelVersions({ name, filter: "labels.modelgate-commit:*" });
    expect(withLabel).toHaveLength(2);
    await expect(
      models.listModelVersions({ name, filter: "labels.x=1 OR labels.y=2" }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });

  it("pages through ListModels with page tokens", async () => {
    for (let i = 0; i < 3; i++) await upload({ labels: { batch: "paging" } });
    const [firstPage, nextRequest] = await models.listModels(
      { parent: server.parent, filter: "labels.batch=paging", pageSize: 2 },
      { autoPaginate: false },
    );
    expect(firstPage).toHaveLength(2);
    expect(nextRequest?.pageToken).toBeTruthy();
    const all: string[] = [];
    for await (const model of models.listModelsAsync({
      parent: server.parent,
      filter: "labels.batch=paging",
      pageSize: 2,
    })) {
      all.push(model.name as string);
    }
    expect(new Set(all).size).toBe(3);
  });

  it("updates labels and description of the addressed version only", async () => {
    const { name } = await upload({ labels: { stage: "new" } });
    await upload({ parentModel: name, labels: { stage: "new" } });
    const [updated] = await models.updateModel({
      model: { name: `${name}@2`, labels: { stage: "failed" }, description: "verification failed" },
      updateMask: { paths: ["labels", "description"] },
    });
    expect(updated).toMatchObject({
      versionId: "2",
      labels: { stage: "failed" },
      description: "verification failed",
    });
    expect((await models.getModel({ name: `${name}@1` }))[0].labels).toEqual({ stage: "new" });
    await expect(
      models.updateModel({
        model: { name, artifactUri: "gs://x/y" },
        updateMask: { paths: ["artifact_uri"] },
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(models.updateModel({ model: { name, labels: {} } })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
  });
});

describe("google.longrunning.Operations", () => {
  it("CancelOperation ends an unfinished upload with CANCELLED and nothing is registered", async () => {
    const slow = await startVertexServer({
      storageApiEndpoint: "http://127.0.0.1:9",
      operationDelayMs: 60_000,
    });
    const slowModels = new ModelServiceClient(localVertexClientOptions(slow.address));
    type OperationRequest = Parameters<ModelServiceClient["getOperation"]>[0];
    try {
      const [operation] = await slowModels.uploadModel({
        parent: slow.parent,
        modelId: "cancelled",
        model: { displayName: "m", artifactUri: "gs://b/m/", containerSpec: { imageUri: IMAGE } },
      });
      const [pending] = await slowModels.getOperation({ name: operation.name } as OperationRequest);
      expect(pending.done).toBe(false);
      await slowModels.cancelOperation({ name: operation.name } as Parameters<
        ModelServiceClient["cancelOperation"]
      >[0]);
      const [cancelled] = await slowModels.getOperation({ name: operation.name } as OperationRequest);
      expect(cancelled).toMatchObject({ done: true, error: { code: status.CANCELLED } });
      await expect(slowModels.getModel({ name: `${slow.parent}/models/cancelled` })).rejects.toMatchObject({
        code: status.NOT_FOUND,
      });
      await slowModels.deleteOperation({ name: operation.name } as Parameters<
        ModelServiceClient["deleteOperation"]
      >[0]);
      await expect(
        slowModels.getOperation({ name: operation.name } as OperationRequest),
      ).rejects.toMatchObject({ code: status.NOT_FOUND });
    } finally {
      await slowModels.close();
      await slow.close();
    }
  });
});

describe("the authorize hook", () => {
  it("passes every RPC through the permission table and answers PERMISSION_DENIED when it refuses", async () => {
    const checks: Array<[string | null, string, string]> = [];
    const guarded = await startVertexServer({
      storageApiEndpoint: "http://127.0.0.1:9",
      operationDelayMs: 5,
      authorize: (identity, permission, resource) => {
        checks.push([identity, permission, resource]);
        return identity === "trainer@example" || permission.endsWith(".get");
      },
    });
    const options = localVertexClientOptions(guarded.address);
    const guardedModels = new ModelServiceClient(options);
    const guardedEndpoints = new EndpointServiceClient(options);
    try {
      const asTrainer = identityCallOptions("trainer@example");
      const [operation] = await guardedModels.uploadModel(
        {
          parent: guarded.parent,
          model: { displayName: "m", artifactUri: "gs://b/m/", containerSpec: { imageUri: IMAGE } },
        },
        asTrainer,
      );
      const [uploaded] = await operation.promise();
      expect(checks).toContainEqual(["trainer@example", "aiplatform.models.upload", guarded.parent]);
      // The client polls the operation with the call options of the call that started it; IAM authorises the
      // poll by the `.get` of the model the operation is named under (there is no aiplatform.operations.get).
      const operationOwner = (operation.name as string).replace(/\/operations\/[^/]+$/, "");
      expect(operationOwner).toMatch(/\/models\/[^/]+$/);
      expect(checks).toContainEqual(["trainer@example", "aiplatform.models.get", operationOwner]);
      expect(checks.map(([, permission]) => permission)).not.toContain("aiplatform.operations.get");

      const denied = await rejection(
        guardedEndpoints.deployModel(
          { endpoint: `${guarded.parent}/endpoints/1`, deployedModel: { model: uploaded.model as string } },
          identityCallOptions("deployer@example"),
        ),
      );
      expect(denied).toMatchObject({ code: status.PERMISSION_DENIED });
      expect((denied as Error).message).toContain(
        `Permission 'aiplatform.endpoints.deploy' denied on resource '//aiplatform.googleapis.com/${guarded.parent}/endpoints/1'`,
      );
      expect(guarded.requestLog.at(-1)).toMatchObject({
        method: "DeployModel",
        identity: "deployer@example",
        code: status.PERMISSION_DENIED,
      });
      await expect(guardedModels.listModels({ parent: guarded.parent })).rejects.toMatchObject({
        code: status.PERMISSION_DENIED,
      });
    } finally {
      await Promise.all([guardedModels.close(), guardedEndpoints.close()]);
      await guarded.close();
    }
  });

  it("names one permission per implemented RPC; operations by their resource's verb, a job's account actAs", () => {
    expect(vertexPermissions.Predict).toEqual([
      { permission: "aiplatform.endpoints.predict", resource: "endpoint" },
    ]);
    expect(vertexPermissions.DeployModel).toEqual([
      { permission: "aiplatform.endpoints.deploy", resource: "endpoint" },
    ]);
    expect(
      resolveCheck(vertexPermissions.GetOperation[0], {
        name: "projects/p/locations/l/endpoints/7/operations/9",
      }),
    ).toEqual({ permission: "aiplatform.endpoints.get", resourceName: "projects/p/locations/l/endpoints/7" });
    expect(
      resolveCheck(vertexPermissions.WaitOperation[0], {
        name: "projects/p/locations/l/models/m/operations/9",
      }),
    ).toEqual({ permission: "aiplatform.models.get", resourceName: "projects/p/locations/l/models/m" });
    expect(vertexPermissions.CreateCustomJob).toEqual([
      { permission: "aiplatform.customJobs.create", resource: "parent" },
      { permission: "iam.serviceAccounts.actAs", resource: "customJob.jobSpec.serviceAccount", ifSet: true },
    ]);
    for (const [method, entries] of Object.entries(vertexPermissions)) {
      for (const entry of entries as readonly PermissionCheck[]) {
        if (!("permission" in entry)) continue;
        if (method === "CreateCustomJob" && entry.permission === "iam.serviceAccounts.actAs") continue;
        expect(entry.permission).toMatch(/^aiplatform\.[a-zA-Z]+\.[a-z]+$/);
      }
    }
  });
});
