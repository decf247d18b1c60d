import { ModelgateError } from "../shared/errors.js";
import type { CliIO, Command } from "./command.js";
import { parseCommandArgs, UsageError } from "./command.js";
import { configCheck } from "./commands/config-check.js";
import { demo } from "./commands/demo.js";
import { demoGitops } from "./commands/demo-gitops.js";
import { doctor } from "./commands/doctor.js";
import { githubRegister } from "./commands/github-register.js";
import { lineage } from "./commands/lineage.js";
import { reconcile } from "./commands/reconcile.js";
import { releasesStatus } from "./commands/releases-status.js";
import { replay } from "./commands/replay.js";
import { retrain } from "./commands/retrain.js";
import { abort, promote } from "./commands/rollout-decision.js";
import { status } from "./commands/status.js";

/** Every command, in the order `modelgate --help` lists them. */
export const commands: Command[] = [
  demo,
  demoGitops,
  lineage,
  status,
  releasesStatus,
  replay,
  retrain,
  promote,
  abort,
  reconcile,
  githubRegister,
  configCheck,
  doctor,
];

function overview(): string {
  const rows = commands.map((c) => `  ${c.path.join(" ").padEnd(18)} ${c.summary}`);
  return `usage: modelgate <command> [options]\n\ncommands:\n${rows.join("\n")}\n\nRun "modelgate <command> --help" for a command's options.\n`;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    io.out(overview());
    return argv.length === 0 ? 2 : 0;
  }
  const command = commands
    .filter((c) => c.path.every((word, i) => argv[i] === word))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!command) {
    io.err(`unknown command "${argv.join(" ")}"\n\n${overview()}`);
    return 2;
  }
  const rest = argv.slice(command.path.length);
  try {
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      io.out(`${command.summary}\n\n${command.usage}\n`);
      return 0;
    }
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n`);
      return 2;
    }
    if (error instanceof ModelgateError) {
      io.err(`modelgate ${command.path.join(" ")}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
