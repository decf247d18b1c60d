// Function processes as the bench starts them: through local/function-process.ts, as the local stack does, but
// without `--enable-source-maps` (Cloud Functions does not set it, and it slows a cold start) and with stdout
// going nowhere.
import { readFileSync } from "node:fs";
import { freePort } from "../../local/free-port.js";
import { type FunctionProcess, startFunctionProcess } from "../../local/function-process.js";
import { log } from "./context.js";

export interface Started {
  fn: FunctionProcess;
  /** When the process was spawned (ms since the epoch), the start of every cold-start figure. */
  t0: number;
}

/** Starts `target` from the bundle in `source` on a free port and resolves once it accepts connections. */
export async function startFunction(
  source: string,
  target: string,
  env: Record<string, string>,
): Promise<Started> {
  const port = await freePort();
  const t0 = Date.now();
  const fn = await startFunctionProcess({ target, port, source, env, nodeFlags: [] });
  fn.child.once("exit", (code) => {
    if (code !== null && code !== 0 && code !== 143)
      log(`  ${target} exited ${code}: ${fn.stderrTail().slice(0, 1500)}`);
  });
  return { fn, t0 };
}

export interface HttpRequest {
  headers: Record<string, string>;
  body: string;
}

/** POSTs a request to a function on loopback. */
export async function post(port: number, request: HttpRequest): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/`, {
    method: "POST",
    headers: request.headers,
    body: request.body,
  });
  return { status: response.status, body: await response.text() };
}

/** Peak resident set size of a process so far (VmHWM), in bytes. */
export function peakRssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
