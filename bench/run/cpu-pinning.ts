import { execFileSync } from "node:child_process";
import os from "node:os";

/**
 * In production the endpoint runs on Vertex AI's machines and verification on its function's instance; here both
 * share this machine's cores. So while verification is measured, the local servers (this process, every thread)
 * run on CPU 0 and the worker on CPU 1 (`taskset`, where there are two cores or more and it is installed): each
 * side's CPU is its own, as in the cloud, and raw Predict and verification are measured the same way.
 */
export const pinning = (() => {
  if (os.cpus().length < 2 || process.platform !== "linux") return undefined;
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  const pin = (cpus: string) =>
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(process.pid)], { stdio: "ignore" });
  const all = `0-${os.cpus().length - 1}`;
  return {
    describe: "local servers on CPU 0, the verification worker on CPU 1 (taskset)",
    servers: () => pin("0"),
    release: () => pin(all),
    worker: (args: string[]) => ({ command: "taskset", args: ["-c", "1", process.execPath, ...args] }),
  };
})();
