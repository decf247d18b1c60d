import type { ModelServiceClient } from "@google-cloud/aiplatform/build/src/v1/model_service_client.js";
import { TransientError } from "../errors.js";
import { classifyClientError, GrpcCode } from "../grpc-errors.js";
import { commonJsExports } from "../lazy-load.js";
import { Label, type ModelRegistry, type ModelVersion, type UploadVersionSpec } from "../model-ports.js";
import { labelFilter, plainMessage, type VertexLocation, VertexServiceAdapter } from "./vertex-client.js";

/** Valid Vertex AI model ids (`[a-z0-9_-]`, not starting with a digit or '-', up to 63); modelgate model names are. */
const modelIdPattern = /^[a-z_][a-z0-9_-]{0,62}$/;

/**
 * ModelRegistry on Vertex AI's ModelService. The parent model of a modelgate model is created with the model's
 * name as its id, so two first registrations racing each other cannot make two parents: the loser gets
 * ALREADY_EXISTS, which is reported as transient, and its retry finds the parent and adds a version.
 */
export class VertexModelRegistry extends VertexServiceAdapter<ModelServiceClient> implements ModelRegistry {
  constructor(private readonly location: VertexLocation) {
    super(location, async (options) => {
      const { ModelServiceClient } = commonJsExports(
        await import("@google-cloud/aiplatform/build/src/v1/model_service_client.js"),
      );
      return new ModelServiceClient(options);
    });
  }

  async findParentModel(model: string): Promise<{ modelResource: string } | null> {
    return this.call("ListModels", async (client) => {
      const [models] = await client.listModels({
        parent: this.location.parent,
        filter: labelFilter({ [Label.model]: model }),
      });
      const names = models.map((m) => m.name ?? "").filter((name) => name !== "");
      // Prefer the parent modelgate itself created (its id is the model name) over any other labelled copy.
      const found = names.find((name) => name.endsWith(`/models/${model}`)) ?? names.sort()[0];
      return found ? { modelResource: stripVersion(found) } : null;
    });
  }

  async findVersions(modelResource: string, labels: Record<string, string>): Promise<ModelVersion[]> {
    return this.call("ListModelVersions", async (client) => {
      const [versions] = await client.listModelVersions({ name: modelResource, filter: labelFilter(labels) });
      return versions
        .map((version) => toModelVersion(version))
        .sort((a, b) => Number(a.versionId) - Number(b.versionId));
    });
  }

  async getVersion(modelResource: string, versionIdOrAlias: string): Promise<ModelVersion> {
    return this.call("GetModel", async (client) => {
      const [version] = await client.getModel({ name: `${modelResource}@${versionIdOrAlias}` });
      return toModelVersion(version);
    });
  }

  async uploadVersion(spec: UploadVersionSpec): Promise<{ version: ModelVersion; raw: unknown }> {
    const client = await this.client();
    const modelId = spec.labels[Label.model];
    const request = {
      parent: this.location.parent,
      ...(spec.parentModel
        ? { parentModel: spec.parentModel }
        : modelId && modelIdPattern.test(modelId)
          ? { modelId }
          : {}),
      model: {
        displayName: spec.displayName,
        ...(spec.description ? { description: spec.description } : {}),
        artifactUri: spec.artifactUri,
        containerSpec: {
          imageUri: spec.servingContainer.imageUri,
          ...(spec.servingContainer.predictRoute ? { predictRoute: spec.servingContainer.predictRoute } : {}),
          ...(spec.servingContainer.healthRoute ? { healthRoute: spec.servingContainer.healthRoute } : {}),
        },
        labels: spec.labels,
        versionAliases: spec.aliases,
      },
    };
    let operation: string | undefined;
    let response: { model?: string | null; modelVersionId?: string | null };
    try {
      const [op] = await client.uploadModel(request);
      operation = op.name;
      [response] = await op.promise();
    } catch (error) {
      if ((error as { code?: unknown }).code === GrpcCode.ALREADY_EXISTS && !spec.parentModel) {
        throw new TransientError(
          "UploadModel failed: the parent model was created by a concurrent registration; a retry adds a version to it",
          { cause: error, details: { grpcCode: GrpcCode.ALREADY_EXISTS, modelId } },
        );
      }
      throw classifyClientError(error, "UploadModel");
    }
    const modelResource = stripVersion(response.model ?? "");
    const version = await this.getVersion(modelResource, String(response.modelVersionId ?? ""));
    return { version, raw: { operation, response: plainMessage(response), version: version.raw } };
  }

  async mergeAliases(
    modelResource: string,
    versionId: string,
    add: string[],
    remove: string[],
  ): Promise<unknown> {
    return this.call("MergeVersionAliases", async (client) => {
      const [version] = await client.mergeVersionAliases({
        name: `${modelResource}@${versionId}`,
        versionAliases: [...add, ...remove.map((alias) => `-${alias}`)],
      });
      return plainMessage(version);
    });
  }

  async setLabels(
    modelResource: string,
    versionId: string,
    labels: Record<string, string>,
  ): Promise<unknown> {
    return this.call("UpdateModel", async (client) => {
      // A name with "@<version>" makes this a version-specific update: the version's labels, not the model's.
      const [version] = await client.updateModel({
        model: { name: `${modelResource}@${versionId}`, labels },
        updateMask: { paths: ["labels"] },
      });
      return plainMessage(version);
    });
  }
}

function toModelVersion(message: unknown): ModelVersion {
  const raw = plainMessage(message) as {
    name?: string;
    versionId?: string;
    displayName?: string;
    versionAliases?: string[];
    labels?: Record<string, string>;
    artifactUri?: string;
  };
  return {
    modelResource: stripVersion(raw.name ?? ""),
    versionId: raw.versionId ?? "",
    displayName: raw.displayName ?? "",
    aliases: raw.versionAliases ?? [],
    labels: raw.labels ?? {},
    artifactUri: raw.artifactUri ?? "",
    raw,
  };
}

/** `…/models/<id>@<version>` → `…/models/<id>`. */
function stripVersion(name: string): string {
  const at = name.indexOf("@");
  return at === -1 ? name : name.slice(0, at);
}
