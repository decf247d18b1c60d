import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "../../local/free-port.js";
import { startFunctionProcess } from "../../local/function-process.js";

describe("function processes of the local stack", () => {
  // Regression: a stack interrupted before it was ready left its function processes running, and the next
  // `npm start` took their answers for its own. A taken port is now refused, naming the setting that moves it.
  it("refuses a port something else already listens on", async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    const address = squatter.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      await expect(
        startFunctionProcess({ target: "githubWebhook", port, source: ".", env: {} }),
      ).rejects.toThrow(/already in use.*MODELGATE_FUNCTIONS_PORT/);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it("says why a function died before serving, with the tail of its stderr", async () => {
    await expect(
      startFunctionProcess({ target: "noSuchFunction", port: await freePort(), source: ".", env: {} }),
    ).rejects.toThrow(/noSuchFunction exited with code \d+ before serving: [\s\S]*noSuchFunction/);
  });
});
