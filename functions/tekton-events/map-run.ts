import { sameCommit } from "../../shared/commit.js";
import type { Config, ModelConfig } from "../../shared/config.js";
import { ArtifactError } from "../../shared/errors.js";
import { type ArtifactLocation, parseArtifactUri } from "../../shared/ingress/artifact.js";
import { CommitSha } from "../../shared/names.js";
import { trainingImageRefusal } from "../../shared/training-image.js";
import { runValue, type TektonRun } from "./tekton-run.js";

/** What a successful run asks of one model. */
export type RunIntent =
  | { kind: "artifact-ready"; model: string; repository: string; commit: string; location: ArtifactLocation }
  | { kind: "training-requested"; model: string; repository: string; commit: string; image?: string };

export interface RunMapping {
  intents: RunIntent[];
  /** Models the run concerns but whose values do not hold up. */
  refused: Array<{ model?: string; commit?: string; reason: string }>;
  /** Why the run concerns no model, when it does not. */
  ignored?: string;
}

type Mapped = { name: string; model: ModelConfig; mapping: NonNullable<ModelConfig["tekton"]> };

/**
 * The models a run belongs to: those whose `tekton.pipelines` list its Pipeline (or standalone Task), narrowed by
 * the model name the run reports under the model's `results.model` key. A run that reports no model name maps
 * only when exactly one model uses its pipeline.
 */
export function modelsOfRun(
  config: Config,
  run: TektonRun,
): { matched: Mapped[]; unmapped?: string; refused?: string } {
  const definition = run.definition;
  if (definition === undefined)
    return { matched: [], unmapped: `${run.kind} ${run.name} names no pipeline or task` };
  const candidates: Mapped[] = [];
  for (const [name, model] of Object.entries(config.models)) {
    if (model.tekton?.pipelines.includes(definition)) candidates.push({ name, model, mapping: model.tekton });
  }
  if (candidates.length === 0)
    return { matched: [], unmapped: `pipeline ${definition} is not configured for any model` };
  const named = candidates.map((c) => ({ ...c, value: runValue(run, c.mapping.results.model) }));
  const matched = named.filter(
    (c) => c.value === c.name || (c.value === undefined && candidates.length === 1),
  );
  if (matched.length > 0) return { matched };
  const reported = named.find((c) => c.value !== undefined)?.value;
  return {
    matched: [],
    refused:
      reported === undefined
        ? `pipeline ${definition} serves ${candidates.map((c) => c.name).join(", ")} and the run names none of them`
        : `the run names model "${reported}", which is not configured for pipeline ${definition}`,
  };
}

/**
 * Maps a successful run to messages by its results (or params) as each model's `tekton` mapping names them.
 * Pure: the artifact URI is checked against the bucket and path layout here, the manifest by the caller.
 */
export function mapSuccessfulRun(config: Config, run: TektonRun): RunMapping {
  const { matched, unmapped, refused } = modelsOfRun(config, run);
  // A run of one of modelgate's pipelines that names another model is refused; any other run is not ours.
  if (refused !== undefined) return { intents: [], refused: [{ reason: refused }] };
  if (matched.length === 0)
    return { intents: [], refused: [], ignored: unmapped ?? "the run concerns no model" };
  const mapping: RunMapping = { intents: [], refused: [] };
  for (const { name, model, mapping: keys } of matched) {
    const commit = runValue(run, keys.results.commit)?.toLowerCase();
    if (commit === undefined || !CommitSha.safeParse(commit).success) {
      mapping.refused.push({
        model: name,
        reason: `${name}: the run has no commit SHA under result or param ${keys.results.commit}`,
      });
      continue;
    }
    if (keys.emits === "training-requested") {
      const image = runValue(run, keys.results.image);
      const refusal = image === undefined ? null : trainingImageRefusal(model.training, image);
      if (refusal !== null) {
        mapping.refused.push({ model: name, commit, reason: `${name}: ${refusal}` });
        continue;
      }
      mapping.intents.push({
        kind: "training-requested",
        model: name,
        repository: model.repository,
        commit,
        ...(image === undefined ? {} : { image }),
      });
      continue;
    }
    const uri = runValue(run, keys.results.artifactUri);
    if (uri === undefined) {
      mapping.refused.push({
        model: name,
        commit,
        reason: `${name}: the run has no artifact URI under result or param ${keys.results.artifactUri}`,
      });
      continue;
    }
    try {
      const location = parseArtifactUri(uri, config.bucket);
      if (location.model !== name) {
        throw new ArtifactError(`artifact URI ${uri} is not under models/${name}/`);
      }
      if (!sameCommit(location.commit, commit)) {
        throw new ArtifactError(`artifact URI ${uri} is not for commit ${commit}`);
      }
      mapping.intents.push({
        kind: "artifact-ready",
        model: name,
        repository: model.repository,
        commit,
        location,
      });
    } catch (error) {
      mapping.refused.push({ model: name, commit, reason: `${name}: ${(error as Error).message}` });
    }
  }
  return mapping;
}
