import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

export interface FunctionProcessOptions {
  target: string;
  port: number;
  /** The module that registers the functions (the package's main). */
  source: string;
  env: Record<string, string>;
  /** Receives every line the function writes (its structured log); without it, stdout goes nowhere. */
  onLine?: (target: string, line: string) => void;
  /** Node flags before the framework's main; default `--enable-source-maps` for readable stack traces. */
  nodeFlags?: string[];
}

/** One function served by the Functions Framework in its own process, as one Cloud Functions instance. */
export interface FunctionProcess {
  target: string;
  url: string;
  port: number;
  child: ChildProcess;
  /** The last few KB the process wrote to stderr, for saying why it died. */
  stderrTail(): string;
  /** Kills the process (SIGKILL: no graceful shutdown, like a crashed instance). */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

// Function processes die with the process that started them, however it ends (Ctrl-C before the stack was ready,
// an error, process.exit): an orphan would keep the port and answer for a stack that no longer exists.
const live = new Set<ChildProcess>();
let reaperInstalled = false;
function reapOnExit(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once("exit", () => {
    for (const c of live) c.kill("SIGKILL");
  });
}

/** Starts `functions-framework --target=<target>` and resolves once it accepts requests. */
export async function startFunctionProcess(options: FunctionProcessOptions): Promise<FunctionProcess> {
  if (await canConnect(options.port)) {
    throw new Error(
      `port ${options.port} for ${options.target} is already in use (is another modelgate stack running? ` +
        "MODELGATE_FUNCTIONS_PORT chooses the first of the function ports, one per function)",
    );
  }
  // The package's exports map hides its bin, so find its `bin` (build/src/main.js) beside the main module.
  const main = join(dirname(require.resolve("@google-cloud/functions-framework")), "main.js");
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeFlags ?? ["--enable-source-maps"]),
      main,
      `--target=${options.target}`,
      `--port=${options.port}`,
      `--source=${options.source}`,
    ],
    // Nobody reading stdout: let it go to /dev/null rather than through a pipe this process must drain (the
    // bench's load generator shares this process).
    {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", options.onLine ? "pipe" : "ignore", "pipe"],
    },
  );
  reapOnExit(child);
  let stderr = "";
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n"))
      if (line.trim()) options.onLine?.(options.target, line);
  };
  child.stdout?.on("data", forward);
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-stderrTailChars);
    forward(chunk);
  });
  const url = `http://127.0.0.1:${options.port}`;
  await waitUntilListening(child, options.port, options.target, () => stderr);
  const exited = once(child, "exit").then(() => undefined);
  return {
    target: options.target,
    url,
    port: options.port,
    child,
    stderrTail: () => stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const stderrTailChars = 4000;

async function waitUntilListening(
  child: ChildProcess,
  port: number,
  target: string,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const tail = stderr().trim();
      throw new Error(
        `function ${target} exited with code ${child.exitCode} before serving${tail ? `: ${tail}` : ""}`,
      );
    }
    // A TCP connect, not a request: an event function would log a malformed-event error for a probe. Every 5 ms:
    // the bench measures cold starts through this wait, and a coarser poll would add up to its interval to each.
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill("SIGKILL");
  throw new Error(`function ${target} did not start listening on port ${port} within 30 s`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
