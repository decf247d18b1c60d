import { type ParseArgsConfig, parseArgs } from "node:util";

/** What a command writes to: injected so tests capture output without touching the process. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

export interface Command {
  /** Words that select it, e.g. ["github", "register"]. */
  path: string[];
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  /** Runs the command; resolves with the exit code. */
  run(args: { values: Record<string, unknown>; positionals: string[] }, io: CliIO): Promise<number>;
}

/** An error whose message is meant for the person at the terminal (no stack trace). */
export class UsageError extends Error {}

/** Parses a command's arguments strictly; an unknown flag is a UsageError that names it. */
export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, unknown>, positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${command.usage}`);
  }
}
