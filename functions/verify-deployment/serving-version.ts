import { sameCommit } from "../../shared/commit.js";
import { readCommitManifest } from "../../shared/commit-artifact.js";
import { ModelgateError } from "../../shared/errors.js";
import { type Manifest, ManifestError, manifestPath, parseManifest } from "../../shared/manifest.js";
import { type EndpointDeployer, Label, type ModelRegistry } from "../../shared/model-ports.js";
import type { BlobStore } from "../../shared/ports.js";
import {
  type RegistryIndexEntry,
  readRegistryIndex,
  registryIndexPath,
} from "../../shared/registry-index.js";
import { deployedModelId as deterministicDeployedModelId } from "../../shared/vertex/deployed-model-id.js";

/** The model version a Predict response named for a deployed model. */
export interface ObservedVersion {
  model?: string;
  modelVersionId?: string;
}

/** What verification knows about the version serving before the canary, and how it found out. */
export interface ServingVersion {
  deployedModelId: string;
  modelResource?: string;
  versionId?: string;
  commit?: string;
  /** How the commit was found. */
  source?: "registry-index" | "model-labels";
  /** The serving version's modelgate.json, whose metrics the candidate is compared with. */
  manifest?: Manifest;
  /** Why no recorded metrics were found (the accuracy-drop check is then skipped and the report says why). */
  problem?: string;
}

export interface ServingVersionDeps {
  blobs: BlobStore;
  registry: () => Pick<ModelRegistry, "getVersion">;
  endpoints: () => Pick<EndpointDeployer, "getEndpoint">;
}

/**
 * Finds the serving version's commit and reads its modelgate.json. The commit comes from the registry index
 * (an entry whose commit gives the deterministic deployed model id, or whose version matches), else from the
 * model version's `modelgate-commit` label. The version behind the deployed model is what a Predict response
 * reported, else the endpoint's deployed models. Transient errors throw; anything that cannot be found becomes
 * `problem`, since a serving model that modelgate did not deploy has no recorded metrics to compare with.
 */
export async function findServingVersion(
  request: {
    model: string;
    endpoint: string;
    deployedModelId: string;
    /** The model version a Predict response said serves this deployed model, if one did. */
    observed?: ObservedVersion | undefined;
  },
  deps: ServingVersionDeps,
): Promise<ServingVersion> {
  const found: ServingVersion = { deployedModelId: request.deployedModelId };
  try {
    const index = await registryIndexEntries(deps.blobs, request.model);
    let commit = index.find(
      (e) => deterministicDeployedModelId(request.model, e.commit) === request.deployedModelId,
    )?.commit;
    if (commit) found.source = "registry-index";
    const early = commit === undefined ? undefined : readCommitManifest(deps.blobs, request.model, commit);
    early?.catch(() => undefined); // awaited below unless a lookup before it throws first

    const observed = request.observed;
    if (observed?.model && observed.modelVersionId) {
      found.modelResource = stripVersion(observed.model);
      found.versionId = observed.modelVersionId;
    } else if (!commit) {
      const endpoint = await deps.endpoints().getEndpoint(request.endpoint);
      const deployed = endpoint.deployedModels.find((d) => d.id === request.deployedModelId);
      if (!deployed) {
        return {
          ...found,
          problem: `deployed model ${request.deployedModelId} is not on ${request.endpoint}`,
        };
      }
      found.modelResource = stripVersion(deployed.modelResource);
      found.versionId = deployed.versionId;
    }

    if (!commit && found.versionId !== undefined) {
      commit = index.find(
        (e) => e.versionId === found.versionId && stripVersion(e.modelResource) === found.modelResource,
      )?.commit;
      if (commit) found.source = "registry-index";
    }
    if (!commit && found.modelResource !== undefined && found.versionId !== undefined) {
      const version = await deps.registry().getVersion(found.modelResource, found.versionId);
      const label = version.labels[Label.commit];
      if (label) {
        commit = label;
        found.source = "model-labels";
      }
    }
    if (!commit) {
      return {
        ...found,
        problem: `no modelgate commit is recorded for deployed model ${request.deployedModelId} (not in ${registryIndexPath(request.model)}, no ${Label.commit} label)`,
      };
    }
    found.commit = commit;

    const stored = await (early ?? readCommitManifest(deps.blobs, request.model, commit));
    if (!stored) {
      return {
        ...found,
        problem: `the serving version's ${manifestPath(request.model, commit)} does not exist`,
      };
    }
    const { name, object } = stored;
    const manifest = parseManifest(JSON.parse(object.data.toString("utf8")));
    if (manifest.model !== request.model || !sameCommit(manifest.commit, commit)) {
      return {
        ...found,
        problem: `${name} names ${manifest.model}@${manifest.commit}, not ${request.model}@${commit}`,
      };
    }
    found.manifest = manifest;
    return found;
  } catch (error) {
    // Only what retrying cannot change becomes a problem; anything else (unknown errors included) is redelivered.
    const permanent =
      error instanceof ManifestError ||
      error instanceof SyntaxError ||
      (error instanceof ModelgateError && !error.retryable);
    if (!permanent) throw error;
    return {
      ...found,
      problem: `the serving version's recorded metrics could not be read: ${(error as Error).message}`,
    };
  }
}

/** The registry index's lines; an unreadable index is no index (the model labels remain). */
async function registryIndexEntries(blobs: BlobStore, model: string): Promise<RegistryIndexEntry[]> {
  try {
    const { index } = await readRegistryIndex(blobs, model);
    return Array.isArray(index.versions) ? index.versions : [];
  } catch (error) {
    if (error instanceof SyntaxError) return [];
    throw error;
  }
}

function stripVersion(resource: string): string {
  const at = resource.indexOf("@");
  return at === -1 ? resource : resource.slice(0, at);
}
