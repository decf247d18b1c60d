import { spawn } from "node:child_process";

/** How a trainer image runs locally: the command that stands in for the container's entrypoint. */
export interface TrainerCommand {
  command: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** The outcome of one training process. */
export interface ProcessOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
  spawnError?: string;
}

/** A running training process. */
export interface RunningProcess {
  readonly pid: number | undefined;
  readonly outcome: Promise<ProcessOutcome>;
  /** SIGTERM now, SIGKILL if it has not exited after `graceMs`. */
  kill(graceMs?: number): void;
}

const stderrTailBytes = 4096;

/** Runs `trainer.command` followed by `args` with `env` on top of this process's environment. */
export function runTrainerProcess(
  trainer: TrainerCommand,
  args: string[],
  env: Record<string, string>,
): RunningProcess {
  const [file, ...leading] = trainer.command;
  if (!file) throw new Error("trainer command is empty");
  const child = spawn(file, [...leading, ...args], {
    cwd: trainer.cwd ?? process.cwd(),
    env: { ...process.env, ...trainer.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrTailBytes);
  });
  let exited = false;
  const outcome = new Promise<ProcessOutcome>((resolve) => {
    child.once("error", (error) => {
      exited = true;
      resolve({ exitCode: null, signal: null, stderrTail: stderr, spawnError: error.message });
    });
    child.once("close", (exitCode, signal) => {
      exited = true;
      resolve({ exitCode, signal, stderrTail: stderr });
    });
  });
  return {
    pid: child.pid,
    outcome,
    kill(graceMs = 2000) {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!exited) child.kill("SIGKILL");
      }, graceMs);
      timer.unref();
      void outcome.then(() => clearTimeout(timer));
    },
  };
}
