import { type Config, findModelConfig } from "../shared/config.js";

/**
 * The models a command is about: the one named, else every configured one. A name that is not configured is
 * reported (with the configured names) and gives undefined, for the command to exit 2.
 */
export function chosenModels(
  config: Config,
  positionals: readonly string[],
  err: (text: string) => void,
): string[] | undefined {
  const models = positionals[0] ? [positionals[0]] : Object.keys(config.models);
  const unknown = models.find((model) => !findModelConfig(config, model));
  if (unknown === undefined) return models;
  err(`model "${unknown}" is not configured (models: ${Object.keys(config.models).join(", ")})\n`);
  return undefined;
}
