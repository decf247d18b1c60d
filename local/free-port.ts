import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** A port that was free a moment ago on 127.0.0.1 (for child processes that must be told their port). */
export async function freePort(): Promise<number> {
  return listenOnce(0);
}

/**
 * A free port on 127.0.0.1 below the kernel's ephemeral range, for a process started a while after the port is
 * chosen. A port from `freePort` is free only until someone else binds port 0: the kernel may hand the same one
 * to any server starting meanwhile (another test file's, say), and the child then finds it taken. Ports below
 * the ephemeral range are never handed out that way. Falls back to `freePort` where the range is unknown.
 * `taken`: ports already chosen and not yet bound (they look free, so they are skipped).
 */
export async function stablePort(taken: ReadonlySet<number> = new Set()): Promise<number> {
  const low = ephemeralRangeStart();
  if (low === undefined || low <= 10_000) return freePort();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (taken.has(port)) continue;
    try {
      return await listenOnce(port);
    } catch {
      // Taken: try another.
    }
  }
  return freePort();
}

function ephemeralRangeStart(): number | undefined {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
