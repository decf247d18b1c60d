import { defineConfig } from "vitest/config";

// The contract suite runs the real captured payloads in MODELGATE_FIXTURES (default ../shared/fixtures) and checks
// infra/ and the permission table against the references in MODELGATE_REFERENCE (default ../shared/reference).
export default defineConfig({
  test: {
    include: ["test/contract/**/*.test.ts"],
    testTimeout: 30_000,
    env: { METADATA_SERVER_DETECTION: "none" },
  },
});
