import { readFileSync } from "node:fs";
import { type Config, parseConfig } from "../../shared/config.js";
import { ConfigError } from "../../shared/errors.js";
import type { Command } from "../command.js";

export const configCheck: Command = {
  path: ["config", "check"],
  summary: "validate a configuration file and print every problem with its path",
  usage:
    "usage: modelgate config check [FILE]\n\n  FILE defaults to $MODELGATE_CONFIG, else modelgate.config.yaml",
  options: {},
  async run({ positionals }, io) {
    const file = positionals[0] ?? io.env.MODELGATE_CONFIG ?? "modelgate.config.yaml";
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      io.err(`cannot read ${file}: ${(error as Error).message}\n`);
      return 2;
    }
    try {
      const config = parseConfig(text, file);
      const models = Object.keys(config.models);
      io.out(
        `${file} is valid: ${models.length} model(s) (${models.join(", ")}), bucket ${config.bucket}, ${config.project}/${config.region}\n`,
      );
      for (const note of configNotes(config)) io.out(`note: ${note}\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.err(`${error.message}\n`);
      return 1;
    }
  },
};

/** What a valid configuration means that its reader may not expect: deny-by-default rules that apply. */
export function configNotes(config: Config): string[] {
  const notes: string[] = [];
  for (const [name, model] of Object.entries(config.models)) {
    if (model.promotion.promoters.length === 0) {
      notes.push(
        `models.${name}.promotion.promoters is empty: nobody may promote ${name} by pushing a tag (deny by default)${model.promotion.autoDeploy ? "; autoDeploy still deploys every registered version" : ""}`,
      );
    }
  }
  return notes;
}
