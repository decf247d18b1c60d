import { alreadyExists, invalidArgument, notFound } from "./errors.js";
import { filteredPage } from "./list-filter.js";
import type { Model } from "./messages.js";
import type { LocationScope } from "./resource-names.js";
import { timestamp } from "./timestamps.js";

const aliasPattern = /^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$/;
const modelIdPattern = /^[a-z_][a-z0-9_-]{0,62}$/;

interface ModelEntry {
  versions: Map<string, Model>;
  nextVersion: number;
}

/** A pending UploadModel: the model it will land in and the change to apply on completion. */
export interface PendingUpload {
  modelName: string;
  complete: () => { model: string; modelVersionId: string };
}

/**
 * ModelService's registry: models with numbered versions ("1", "2"…), version aliases unique
 * per model, and exactly one `default` alias (given to the first version; moved, never removed).
 */
export class ModelRegistry {
  private readonly models = new Map<string, ModelEntry>();
  private sequence = 0;

  constructor(private readonly scope: LocationScope) {}

  /** Validates an UploadModel request now; the version is created when the operation completes. */
  upload(request: {
    parent?: string;
    parentModel?: string;
    modelId?: string;
    model?: Partial<Model>;
  }): PendingUpload {
    const parent = this.scope.checkParent(request.parent);
    const input = request.model;
    if (!input) throw invalidArgument("Field `model` is required.");
    if (!input.displayName) throw invalidArgument("Field `model.display_name` is required.");
    if (!input.artifactUri)
      throw invalidArgument("Field `model.artifact_uri` is required (a gs:// directory).");
    if (!/^gs:\/\/[^/]+/.test(input.artifactUri)) {
      throw invalidArgument(
        `Field \`model.artifact_uri\` must be a gs:// URI, got \`${input.artifactUri}\`.`,
      );
    }
    if (!input.containerSpec?.imageUri)
      throw invalidArgument("Field `model.container_spec.image_uri` is required.");
    const aliases = [...new Set(input.versionAliases ?? [])];
    for (const alias of aliases) checkAlias(alias, "model.version_aliases");

    let modelName: string;
    if (request.parentModel) {
      modelName = this.scope.parse(request.parentModel, "models", "Model", { field: "parent_model" }).name;
      if (!this.models.has(modelName)) throw notFound(`Model \`${modelName}\` not found.`);
    } else if (request.modelId) {
      if (!modelIdPattern.test(request.modelId)) {
        throw invalidArgument(
          `Field \`model_id\` must be up to 63 characters of [a-z0-9_-] not starting with a digit or hyphen, got \`${request.modelId}\`.`,
        );
      }
      modelName = `${parent}/models/${request.modelId}`;
      if (this.models.has(modelName)) throw alreadyExists(`Model \`${modelName}\` already exists.`);
    } else {
      this.sequence += 1;
      modelName = `${parent}/models/${4_000_000_000 + this.sequence}`;
    }

    return {
      modelName,
      complete: () => {
        let entry = this.models.get(modelName);
        if (!entry) {
          if (request.parentModel) throw notFound(`Model \`${modelName}\` not found.`);
          entry = { versions: new Map(), nextVersion: 1 };
          this.models.set(modelName, entry);
        } else if (!request.parentModel) {
          throw alreadyExists(`Model \`${modelName}\` already exists.`);
        }
        const versionId = String(entry.nextVersion);
        entry.nextVersion += 1;
        const now = timestamp();
        const first = entry.versions.size === 0;
        const version: Model = {
          ...input,
          name: modelName,
          displayName: input.displayName ?? "",
          artifactUri: input.artifactUri ?? "",
          containerSpec: input.containerSpec ?? {},
          labels: input.labels ?? {},
          versionId,
          versionAliases: [],
          createTime: first ? now : ([...entry.versions.values()][0]?.createTime ?? now),
          updateTime: now,
          versionCreateTime: now,
          versionUpdateTime: now,
          supportedDeploymentResourcesTypes: ["DEDICATED_RESOURCES"],
        };
        entry.versions.set(versionId, version);
        const initial = first && !aliases.includes("default") ? ["default", ...aliases] : aliases;
        for (const alias of initial) moveAlias(entry, version, alias);
        return { model: modelName, modelVersionId: versionId };
      },
    };
  }

  /** The version a name addresses: `…/models/ID` (default version), `…@VERSION_ID` or `…@ALIAS`. */
  resolve(name: unknown, field = "name"): Model {
    const parsed = this.scope.parse(name, "models", "Model", { field, allowSuffix: true });
    const entry = this.models.get(parsed.name);
    if (!entry) throw notFound(`Model \`${parsed.name}\` not found.`);
    const suffix = parsed.suffix ?? "default";
    const version = /^\d+$/.test(suffix)
      ? entry.versions.get(suffix)
      : [...entry.versions.values()].find((candidate) => candidate.versionAliases.includes(suffix));
    if (!version)
      throw notFound(`Model \`${parsed.name}@${suffix}\` not found: no version with that id or alias.`);
    return version;
  }

  get(request: { name?: string }): Model {
    return this.resolve(request.name);
  }

  list(request: { parent?: string; filter?: string; pageSize?: number; pageToken?: string }): {
    models: Model[];
    nextPageToken: string;
  } {
    const parent = this.scope.checkParent(request.parent);
    const defaults = [...this.models.keys()]
      .filter((name) => name.startsWith(`${parent}/`))
      .map((name) => this.resolve(name));
    const page = filteredPage(defaults, request, ["display_name"], (model) => model.displayName);
    return { models: page.items, nextPageToken: page.nextPageToken };
  }

  listVersions(request: { name?: string; filter?: string; pageSize?: number; pageToken?: string }): {
    models: Model[];
    nextPageToken: string;
  } {
    const { name } = this.scope.parse(request.name, "models", "Model");
    const entry = this.models.get(name);
    if (!entry) throw notFound(`Model \`${name}\` not found.`);
    const page = filteredPage(
      [...entry.versions.values()],
      request,
      ["display_name", "version_id"],
      (model, field) => (field === "version_id" ? model.versionId : model.displayName),
    );
    return { models: page.items, nextPageToken: page.nextPageToken };
  }

  mergeVersionAliases(request: { name?: string; versionAliases?: string[] }): Model {
    const parsed = this.scope.parse(request.name, "models", "Model", { allowSuffix: true });
    if (parsed.suffix === undefined) {
      throw invalidArgument(
        `Field \`name\` must name a model version, e.g. \`${parsed.name}@1\`, got \`${request.name}\`.`,
      );
    }
    const requested = request.versionAliases ?? [];
    if (requested.length === 0) throw invalidArgument("Field `version_aliases` must not be empty.");
    const version = this.resolve(request.name);
    const entry = this.models.get(parsed.name) as ModelEntry;
    const adds = new Set(requested.filter((alias) => !alias.startsWith("-")));
    const removes = new Set(
      requested.filter((alias) => alias.startsWith("-")).map((alias) => alias.slice(1)),
    );
    for (const alias of adds) checkAlias(alias, "version_aliases");
    for (const alias of removes) checkAlias(alias, "version_aliases");
    // Adding and removing the same alias cancel out, as the API documents.
    for (const alias of [...adds]) {
      if (removes.delete(alias)) adds.delete(alias);
    }
    if (removes.has("default")) {
      throw invalidArgument(
        "The `default` version alias cannot be removed; add `default` to another version to move it there.",
      );
    }
    for (const alias of removes) {
      version.versionAliases = version.versionAliases.filter((existing) => existing !== alias);
    }
    for (const alias of adds) moveAlias(entry, version, alias);
    version.versionUpdateTime = timestamp();
    return version;
  }

  update(request: { model?: Partial<Model>; updateMask?: { paths?: string[] } }): Model {
    const input = request.model;
    if (!input) throw invalidArgument("Field `model` is required.");
    const paths = request.updateMask?.paths ?? [];
    if (paths.length === 0)
      throw invalidArgument("Field `update_mask` is required and must name at least one field.");
    const version = this.resolve(input.name, "model.name");
    const updates: Array<() => void> = paths.map((path) => {
      switch (path) {
        case "labels":
          return () => {
            version.labels = { ...(input.labels ?? {}) };
          };
        case "display_name":
        case "displayName":
          if (!input.displayName) throw invalidArgument("Field `model.display_name` must not be empty.");
          return () => {
            version.displayName = input.displayName ?? version.displayName;
          };
        case "description":
          return () => {
            version.description = input.description ?? "";
          };
        case "version_description":
        case "versionDescription":
          return () => {
            version.versionDescription = input.versionDescription ?? "";
          };
        default:
          throw invalidArgument(
            `update_mask path \`${path}\` is not supported; supported: labels, display_name, description, version_description.`,
          );
      }
    });
    for (const apply of updates) apply();
    version.updateTime = timestamp();
    version.versionUpdateTime = version.updateTime;
    return version;
  }
}

function checkAlias(alias: string, field: string): void {
  if (!aliasPattern.test(alias)) {
    throw invalidArgument(
      `Version alias \`${alias}\` in \`${field}\` is invalid: it must match [a-z][a-zA-Z0-9-]{0,126}[a-z0-9].`,
    );
  }
}

/** Gives `alias` to `version`, taking it off whichever other version of the model had it. */
function moveAlias(entry: ModelEntry, version: Model, alias: string): void {
  for (const other of entry.versions.values()) {
    if (other !== version && other.versionAliases.includes(alias)) {
      other.versionAliases = other.versionAliases.filter((existing) => existing !== alias);
      other.versionUpdateTime = timestamp();
    }
  }
  if (!version.versionAliases.includes(alias)) version.versionAliases.push(alias);
}
