import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/contract/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real servers on ephemeral loopback ports; two cores here.
    maxWorkers: 2,
    // Nothing here runs on Google Cloud: keep google-auth-library from probing the metadata server.
    env: { METADATA_SERVER_DETECTION: "none" },
  },
});
