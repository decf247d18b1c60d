import { readFileSync } from "node:fs";
import { parseConfig } from "../../shared/config.js";
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
      return 0;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      io.err(`${error.message}\n`);
      return 1;
    }
  },
};
