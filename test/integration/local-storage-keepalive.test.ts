import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStorageServer, startStorageServer } from "../../local/storage/index.js";

// Regression: the chaos run once failed reading the ledger with "socket hang up". The storage client keeps its
// sockets alive and reuses them after any idle time, while Node's server closed an idle one after 5 s: a request
// sent on it just as it closed was lost. The server now keeps idle connections open, as Google's front ends do.

let server: LocalStorageServer;

beforeAll(async () => {
  server = await startStorageServer({ log: () => {} });
  server.createBucket("keepalive-bucket");
});

afterAll(async () => {
  await server.close();
});

function get(agent: Agent, path: string): Promise<{ status: number; socketReused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, socketReused: req.reusedSocket }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the local storage server's idle connections", () => {
  it("stay open past Node's default 5 s, so a client's reused socket is still there", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(agent, "/storage/v1/b/keepalive-bucket")).toEqual({
        status: 200,
        socketReused: false,
      });
      let closedByServer = false;
      const [socket] = Object.values(agent.freeSockets).flat();
      socket?.once("close", () => {
        closedByServer = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(closedByServer).toBe(false);
      expect(await get(agent, "/storage/v1/b/keepalive-bucket")).toEqual({ status: 200, socketReused: true });
    } finally {
      agent.destroy();
    }
  });
});
