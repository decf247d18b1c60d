import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { stablePort } from "../../local/free-port.js";

const ephemeralStart = (() => {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    return undefined;
  }
})();

describe("stablePort", () => {
  it.runIf(ephemeralStart !== undefined && ephemeralStart > 10_000)(
    "chooses a bindable port below the kernel's ephemeral range, never one already chosen",
    async () => {
      const taken = new Set<number>();
      for (let i = 0; i < 20; i++) {
        const port = await stablePort(taken);
        expect(port).toBeGreaterThanOrEqual(10_000);
        expect(port).toBeLessThan(ephemeralStart as number);
        expect(taken.has(port)).toBe(false);
        taken.add(port);
      }
      // And it is free: a server can listen on it.
      const port = await stablePort(taken);
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", resolve);
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  );
});
