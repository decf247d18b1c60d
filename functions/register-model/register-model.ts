import { fullestCommit, sameCommit, sameRepository } from "../../shared/commit.js";
import { versionsOfCommit } from "../../shared/commit-versions.js";
import { modelConfig } from "../../shared/config.js";
import type { ArtifactReady, DeploymentRequested } from "../../shared/contracts.js";
import { followUp } from "../../shared/contracts.js";
import { ArtifactError } from "../../shared/errors.js";
import { commitStatus, notifyGithubAbout, statusContext } from "../../shared/github/notifications.js";
import { Outcome } from "../../shared/ledger.js";
import { RegisterAction } from "../../shared/ledger-actions.js";
import {
  type Manifest,
  ManifestError,
  manifestPath,
  modelBaseDir,
  parseManifest,
} from "../../shared/manifest.js";
import type { ModelRegistry, ModelVersion } from "../../shared/model-ports.js";
import { shortSha } from "../../shared/names.js";
import type { BlobStore } from "../../shared/ports.js";
import type { StepLogicDeps } from "../../shared/pubsub-function.js";
import { recordedCall } from "../../shared/recorded-call.js";
import { addToRegistryIndex, type Registration, writeRegistration } from "../../shared/registry-index.js";
import { Topic } from "../../shared/topology.js";
import { provenanceLabels } from "../../shared/vertex/labels.js";

/** What registerModel needs: the Model Registry, the artifact bucket, the publisher, configuration and a trace. */
export interface RegisterModelDeps extends StepLogicDeps {
  registry: ModelRegistry;
}

export interface RegisterModelResult {
  modelResource: string;
  versionId: string;
  /** True when a version for this commit already existed and was reused. */
  reused: boolean;
  deploymentRequested: boolean;
}

/** The alias that names a commit's version in the registry, e.g. `commit-3f2c1a9e8b7d`. */
function commitAlias(commit: string): string {
  return `commit-${shortSha(commit)}`;
}

/**
 * Registers the model a training run wrote as a Vertex AI model version, once per commit. The event is only a
 * hint: the artifact's modelgate.json is re-read from the bucket and must name the same model, commit and
 * repository. The commit is registered in its fullest known form (the manifest's 40-digit SHA under a short-SHA
 * directory), so that a promotion naming the full SHA finds it. A version already labelled with the commit, in any
 * form, is reused, not duplicated. What was registered is then written to `registry/<model>/` for CI, and if the
 * model's policy auto-deploys, a deployment is requested.
 */
export async function registerModel(
  artifact: ArtifactReady,
  deps: RegisterModelDeps,
): Promise<RegisterModelResult> {
  const { trace } = deps;
  const model = modelConfig(deps.config, artifact.model);
  const baseUri = `gs://${deps.blobs.bucket}/${modelBaseDir(artifact.model, artifact.commit)}`;
  if (artifact.artifactUri.replace(/\/?$/, "/") !== baseUri) {
    throw new ArtifactError(
      `artifact-ready names ${artifact.artifactUri}, but ${artifact.model}@${artifact.commit} is trained into ${baseUri}`,
      { details: { artifactUri: artifact.artifactUri, expected: baseUri } },
    );
  }
  const manifest = await readManifest(deps.blobs, artifact);
  const artifactUri = `${baseUri}${manifest.artifactDir}`;
  const commit = fullestCommit(artifact.commit, manifest.commit);
  const message: ArtifactReady = { ...artifact, commit };

  const { version, reused } = await findOrUploadVersion(message, manifest, artifactUri, deps);

  const now = deps.now ?? (() => new Date());
  const registration: Registration = {
    model: message.model,
    commit: message.commit,
    repository: message.repository,
    modelResource: version.modelResource,
    versionId: version.versionId,
    aliases: version.aliases,
    artifactUri: version.artifactUri || artifactUri,
    correlationId: message.correlationId,
    registeredAt: now().toISOString(),
    metrics: manifest.metrics,
  };
  await writeRegistration(deps.blobs, registration);
  const index = await addToRegistryIndex(deps.blobs, message.model, {
    commit: message.commit,
    versionId: version.versionId,
    modelResource: version.modelResource,
    registeredAt: registration.registeredAt,
  });
  await trace.record({
    action: RegisterAction.registrationPublished,
    outcome: Outcome.succeeded,
    details: { registration, indexWritten: index.written, indexAttempts: index.attempts },
  });

  const trained = `trained and registered as version ${version.versionId}`;
  await notifyGithubAbout(
    message,
    commitStatus(statusContext.training(message.model), "success", trained),
    deps,
  );
  if (model.promotion.autoDeploy) await requestAutoDeploy(message, deps, now);
  return {
    modelResource: version.modelResource,
    versionId: version.versionId,
    reused,
    deploymentRequested: model.promotion.autoDeploy,
  };
}

/**
 * The version that holds the message's commit: one already labelled with it in any form is reused; otherwise the
 * artifact is uploaded as a new version (of the parent model, if there is one) with the configured serving container.
 */
async function findOrUploadVersion(
  message: ArtifactReady,
  manifest: Manifest,
  artifactUri: string,
  deps: RegisterModelDeps,
): Promise<{ version: ModelVersion; reused: boolean }> {
  const { registry, trace } = deps;
  const model = modelConfig(deps.config, message.model);
  const parent = await recordedCall(
    trace,
    RegisterAction.parentModelFound,
    () => registry.findParentModel(message.model),
    {
      model: message.model,
    },
  );
  const existing = parent
    ? await versionsOfCommit(message.commit, (labels) =>
        recordedCall(
          trace,
          RegisterAction.versionsListed,
          () => registry.findVersions(parent.modelResource, labels),
          { modelResource: parent.modelResource, labels },
        ),
      )
    : [];

  const earlier = existing[0];
  if (earlier) {
    trace.logger.info(
      `version ${earlier.versionId} already holds ${message.model}@${message.commit}; reusing it`,
    );
    await trace.record({
      action: RegisterAction.versionReused,
      outcome: Outcome.skipped,
      details: {
        modelResource: earlier.modelResource,
        versionId: earlier.versionId,
        aliases: earlier.aliases,
      },
    });
    return { version: earlier, reused: true };
  }
  if (manifest.serving.container !== model.serving.container) {
    // The configured container is the operator's decision; the trainer's claim is recorded, not obeyed.
    trace.logger.warn(
      "modelgate.json names another serving container than the configuration; using the configured one",
      {
        manifestContainer: manifest.serving.container,
        configuredContainer: model.serving.container,
      },
    );
  }
  const predictRoute = model.serving.predictRoute ?? manifest.serving.predictRoute;
  const healthRoute = model.serving.healthRoute ?? manifest.serving.healthRoute;
  const spec = {
    displayName: message.model,
    ...(parent ? { parentModel: parent.modelResource } : {}),
    artifactUri,
    servingContainer: {
      imageUri: model.serving.container,
      ...(predictRoute ? { predictRoute } : {}),
      ...(healthRoute ? { healthRoute } : {}),
    },
    labels: provenanceLabels(message),
    aliases: [commitAlias(message.commit)],
    description: `${message.repository}@${message.commit} (${manifest.framework})`,
  };
  const uploaded = await recordedCall(
    trace,
    RegisterAction.versionUploaded,
    () => registry.uploadVersion(spec),
    {
      spec,
    },
  );
  return { version: uploaded.version, reused: false };
}

/** The model's policy auto-deploys: requests the deployment of the registered commit. */
async function requestAutoDeploy(
  message: ArtifactReady,
  deps: RegisterModelDeps,
  now: () => Date,
): Promise<void> {
  const request: DeploymentRequested = {
    ...followUp(message, deps.cause, now()),
    reason: "auto-deploy",
  };
  const messageId = await deps.publisher.publish(Topic.deploymentRequested, request);
  deps.trace.logger.info("auto-deploy policy: deployment requested", { messageId });
  await deps.trace.record({
    action: RegisterAction.deploymentRequested,
    outcome: Outcome.succeeded,
    details: { messageId, reason: "auto-deploy" },
  });
}

/** Reads and validates the artifact's modelgate.json; it must exist and name the message's model, commit and repository. */
async function readManifest(blobs: BlobStore, message: ArtifactReady): Promise<Manifest> {
  const path = manifestPath(message.model, message.commit);
  const found = await blobs.read(path);
  if (!found) {
    throw new ArtifactError(`gs://${blobs.bucket}/${path} does not exist; nothing to register`, {
      details: { object: path },
    });
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(JSON.parse(found.data.toString("utf8")));
  } catch (error) {
    const issues =
      error instanceof ManifestError ? error.issues : [{ path: "(root)", message: (error as Error).message }];
    throw new ArtifactError(`gs://${blobs.bucket}/${path} is not a valid manifest`, {
      cause: error,
      details: { object: path, generation: found.generation, issues },
    });
  }
  const same = { model: Object.is, commit: sameCommit, repository: sameRepository } as const;
  const mismatched = (["model", "commit", "repository"] as const).filter(
    (field) => !same[field](manifest[field], message[field]),
  );
  if (mismatched.length > 0) {
    throw new ArtifactError(
      `gs://${blobs.bucket}/${path} does not match the event: ${mismatched
        .map((field) => `${field} is ${manifest[field]}, the event says ${message[field]}`)
        .join("; ")}`,
      { details: { object: path, generation: found.generation, mismatched } },
    );
  }
  return manifest;
}
